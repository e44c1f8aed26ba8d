package localrun

// The local S3's credentials and region, for tests that sign as the
// runner's own client does.
const (
	S3AccessKey = s3AccessKey
	S3Secret    = s3Secret
	S3Region    = s3Region
)
