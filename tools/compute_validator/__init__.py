"""The compute subnet's reference validator (`agora validator compute`) and its probe protocol.

- `protocol.py`: what a provider's endpoint answers, and the benchmark's rule;
- `http.py`: a small HTTP/1.1 client and server on trio + h11;
- `probe.py`: concurrent probes of leases and providers;
- `scoring.py`: samples -> scores -> u16 weights (the documented formula);
- `chain.py`: the chain reads and the weight extrinsics (substrate-interface);
- `validator.py`: the per-tempo loop and the CLI;
- `responder.py`: a reference provider endpoint (tests, benchmarks);
- `join.py`: `agora provider join-subnet`.
"""
