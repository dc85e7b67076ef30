"""Pattern alerts: detectors over projection state, their policy, and the alert lifecycle.

Detectors are pure functions of the projection store and the policy; they return a
`Finding` per subject they evaluate. The lifecycle turns findings into alert state
changes (fired, severity changed, resolved) with deterministic ids.
"""
