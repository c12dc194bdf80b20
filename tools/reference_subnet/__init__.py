"""A reference Bittensor subnet written only against the bittensor SDK (10.5.0).

The task is deterministic: the validator sends a random challenge, a miner answers with
`sha256(challenge)`; the validator scores correct answers 1 and everything else 0 and sets weights
every tempo. One honest miner and one lazy miner (always wrong) run, so the metagraph shows the
honest miner's incentive rising while the lazy one's stays at 0.

    .venv-bt/bin/python -m tools.reference_subnet --network ws://127.0.0.1:9944   # against `make devnet`

- `protocol.py`   the Synapse and the task
- `wallets.py`    wallets from dev keys (//Alice, //Bob, ...) in a wallet directory
- `miner.py`      an axon serving the task (honest or lazy)
- `validator.py`  dendrite queries, scores, set_weights each tempo, epoch-by-epoch metagraph report
- `__main__.py`   one command: subnet, registrations, stake, miner processes, validator
"""
