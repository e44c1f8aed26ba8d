package locals3

// Signature signs a policy as SigV4 does, for tests that write their own.
var Signature = signature
