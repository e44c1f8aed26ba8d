package migrations

// NewProvider lets the tests walk the schema down and back up, which no
// binary does: a deploy only ever moves forward.
var NewProvider = newProvider
