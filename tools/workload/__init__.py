"""Tenant workloads on providers: manifests (signed, checked against the deployment version), the
provider's endpoint and the processes it runs inside each lease's limits."""
