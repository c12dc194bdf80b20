"""The pallet's errors: subtensor's `Error` enum, all variants in upstream order so that the
indices match (`pallets/subtensor/src/macros/errors.rs`); Agora raises a subset."""
from __future__ import annotations

from runtime.frame.dispatch import PalletError
from runtime.pallets.subtensor.pallet import pallet


@pallet.errors
class Error(PalletError):
    RootNetworkDoesNotExist = 0
    InvalidIpType = 1
    InvalidIpAddress = 2
    InvalidPort = 3
    HotKeyNotRegisteredInSubNet = 4
    HotKeyAccountNotExists = 5
    HotKeyNotRegisteredInNetwork = 6
    NonAssociatedColdKey = 7
    NotEnoughStake = 8
    NotEnoughStakeToWithdraw = 9
    NotEnoughStakeToSetWeights = 10
    NotEnoughStakeToSetChildkeys = 11
    NotEnoughBalanceToStake = 12
    BalanceWithdrawalError = 13
    ZeroBalanceAfterWithdrawn = 14
    NeuronNoValidatorPermit = 15
    WeightVecNotEqualSize = 16
    DuplicateUids = 17
    UidVecContainInvalidOne = 18
    WeightVecLengthIsLow = 19
    TooManyRegistrationsThisBlock = 20
    HotKeyAlreadyRegisteredInSubNet = 21
    NewHotKeyIsSameWithOld = 22
    NewHotKeyNotCleanForRootSwap = 23
    InvalidWorkBlock = 24
    InvalidDifficulty = 25
    InvalidSeal = 26
    MaxWeightExceeded = 27
    HotKeyAlreadyDelegate = 28
    SettingWeightsTooFast = 29
    IncorrectWeightVersionKey = 30
    ServingRateLimitExceeded = 31
    UidsLengthExceedUidsInSubNet = 32
    NetworkTxRateLimitExceeded = 33
    DelegateTxRateLimitExceeded = 34
    HotKeySetTxRateLimitExceeded = 35
    StakingRateLimitExceeded = 36
    SubNetRegistrationDisabled = 37
    TooManyRegistrationsThisInterval = 38
    TransactorAccountShouldBeHotKey = 39
    FaucetDisabled = 40
    NotSubnetOwner = 41
    RegistrationNotPermittedOnRootSubnet = 42
    StakeTooLowForRoot = 43
    AllNetworksInImmunity = 44
    NotEnoughBalanceToPaySwapHotKey = 45
    NotRootSubnet = 46
    CanNotSetRootNetworkWeights = 47
    NoNeuronIdAvailable = 48
    DelegateTakeTooLow = 49
    DelegateTakeTooHigh = 50
    NoWeightsCommitFound = 51
    InvalidRevealCommitHashNotMatch = 52
    CommitRevealEnabled = 53
    CommitRevealDisabled = 54
    LiquidAlphaDisabled = 55
    AlphaHighTooLow = 56
    AlphaLowOutOfRange = 57
    ColdKeyAlreadyAssociated = 58
    NotEnoughBalanceToPaySwapColdKey = 59
    InvalidChild = 60
    DuplicateChild = 61
    ProportionOverflow = 62
    TooManyChildren = 63
    TxRateLimitExceeded = 64
    ColdkeySwapAnnouncementNotFound = 65
    ColdkeySwapTooEarly = 66
    ColdkeySwapReannouncedTooEarly = 67
    AnnouncedColdkeyHashDoesNotMatch = 68
    ColdkeySwapAlreadyDisputed = 69
    NewColdKeyIsHotkey = 70
    InvalidChildkeyTake = 71
    TxChildkeyTakeRateLimitExceeded = 72
    InvalidIdentity = 73
    MechanismDoesNotExist = 74
    StakeUnavailable = 75
    SubnetNotExists = 76
    TooManyUnrevealedCommits = 77
    ExpiredWeightCommit = 78
    RevealTooEarly = 79
    InputLengthsUnequal = 80
    CommittingWeightsTooFast = 81
    AmountTooLow = 82
    InsufficientLiquidity = 83
    SlippageTooHigh = 84
    TransferDisallowed = 85
    ActivityCutoffTooLow = 86
    CallDisabled = 87
    FirstEmissionBlockNumberAlreadySet = 88
    NeedWaitingMoreBlocksToStarCall = 89
    NotEnoughAlphaOutToRecycle = 90
    CannotBurnOrRecycleOnRootSubnet = 91
    UnableToRecoverPublicKey = 92
    InvalidRecoveredPublicKey = 93
    SubtokenDisabled = 94
    HotKeySwapOnSubnetIntervalNotPassed = 95
    SameNetuid = 96
    InsufficientBalance = 97
    InvalidLeaseBeneficiary = 98
    LeaseCannotEndInThePast = 99
    LeaseNetuidNotFound = 100
    LeaseDoesNotExist = 101
    LeaseHasNoEndBlock = 102
    LeaseHasNotEnded = 103
    Overflow = 104
    BeneficiaryDoesNotOwnHotkey = 105
    ExpectedBeneficiaryOrigin = 106
    AdminActionProhibitedDuringWeightsWindow = 107
    SymbolDoesNotExist = 108
    SymbolAlreadyInUse = 109
    IncorrectCommitRevealVersion = 110
    InvalidRevealRound = 111
    RevealPeriodTooLarge = 112
    RevealPeriodTooSmall = 113
    InvalidValue = 114
    SubnetLimitReached = 115
    CannotAffordLockCost = 116
    EvmKeyAssociateRateLimitExceeded = 117
    SameAutoStakeHotkeyAlreadySet = 118
    UidMapCouldNotBeCleared = 119
    TrimmingWouldExceedMaxImmunePercentage = 120
    ChildParentInconsistency = 121
    InvalidNumRootClaim = 122
    InvalidRootClaimThreshold = 123
    InvalidSubnetNumber = 124
    TooManyUIDsPerMechanism = 125
    VotingPowerTrackingNotEnabled = 126
    InvalidVotingPowerEmaAlpha = 127
    Deprecated = 128
    AddStakeBurnRateLimitExceeded = 129
    ColdkeySwapAnnounced = 130
    ColdkeySwapDisputed = 131
    ColdkeySwapClearTooEarly = 132
    DisabledTemporarily = 133
    RegistrationPriceLimitExceeded = 134
    LockHotkeyMismatch = 135
    InsufficientStakeForLock = 136
    NoExistingLock = 137
    ActiveLockExists = 138
    CannotUseSystemAccount = 139
    UnlockAmountTooHigh = 140
    TempoOutOfBounds = 141
    ActivityCutoffFactorMilliOutOfBounds = 142
    EpochTriggerAlreadyPending = 143
    AutoEpochAlreadyImminent = 144
    DynamicTempoBlockedByCommitReveal = 145
    AccountRejectsLockedAlpha = 146

    __docs__ = {
        'HotKeyNotRegisteredInSubNet': 'The hotkey is not registered on the subnet.',
        'HotKeyAccountNotExists': 'The hotkey is not owned by any coldkey (register it first).',
        'NonAssociatedColdKey': 'The hotkey is owned by a different coldkey.',
        'NotEnoughStakeToWithdraw': 'The (hotkey, coldkey) stake is smaller than the amount to remove.',
        'NotEnoughStakeToSetWeights': "The hotkey's stake is below StakeThreshold.",
        'NotEnoughBalanceToStake': "The coldkey's free balance cannot pay the amount.",
        'NeuronNoValidatorPermit': 'The UID has no validator permit and is not setting a self-weight.',
        'WeightVecNotEqualSize': 'dests and weights differ in length.',
        'DuplicateUids': 'A UID appears twice in dests.',
        'UidVecContainInvalidOne': 'A UID in dests does not exist on the subnet.',
        'WeightVecLengthIsLow': 'Fewer weights than min(MinAllowedWeights, SubnetworkN).',
        'HotKeyAlreadyRegisteredInSubNet': 'The hotkey already holds a UID on the subnet.',
        'MaxWeightExceeded': 'A normalised weight exceeds MaxWeightsLimit.',
        'SettingWeightsTooFast': "WeightsSetRateLimit blocks have not passed since the UID's last weights.",
        'IncorrectWeightVersionKey': "version_key is below the subnet's WeightsVersionKey.",
        'UidsLengthExceedUidsInSubNet': 'More weights than UIDs on the subnet.',
        'NetworkTxRateLimitExceeded': 'NetworkRateLimit blocks have not passed since the last subnet registration.',
        'SubNetRegistrationDisabled': 'Registration is disabled on the subnet.',
        'NotSubnetOwner': 'The caller does not own the subnet.',
        'NoNeuronIdAvailable': 'The subnet is full and no UID can be pruned.',
        'CommitRevealEnabled': 'The subnet uses commit-reveal; plain set_weights is refused.',
        'LiquidAlphaDisabled': 'Liquid alpha is off on the subnet.',
        'AlphaHighTooLow': 'alpha_high is below alpha_low or below the floor.',
        'AlphaLowOutOfRange': 'alpha_low is outside [1638, alpha_high].',
        'MechanismDoesNotExist': 'The subnet (or mechanism) does not exist.',
        'SubnetNotExists': 'The subnet does not exist.',
        'AmountTooLow': 'The amount is below the minimum stake.',
        'ActivityCutoffTooLow': 'The activity cutoff factor is out of range.',
        'InvalidValue': 'A hyperparameter value is out of range.',
        'SubnetLimitReached': 'SubnetLimit subnets exist already.',
        'CannotAffordLockCost': 'The coldkey cannot pay the subnet lock cost.',
    }
