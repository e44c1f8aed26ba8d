package mysql

// WithoutWriteLock turns off the in-process write lock until restore is
// called, so that only the database keeps placements idempotent.
func WithoutWriteLock() (restore func()) {
	useWriteLock = false
	return func() { useWriteLock = true }
}
