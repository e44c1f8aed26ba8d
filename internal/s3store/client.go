package s3store

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/deliverymarket/delivery/internal/market"
)

// The client's bounds. Signing an upload calls nothing; the image
// processor's calls (reading an upload of at most 5 MB, writing two photos
// of tens of KB, deleting the upload) take tens of milliseconds in the
// region through the VPC's gateway endpoint. An attempt that hangs is cut
// at 10 s and tried once more, so that a stuck call ends the invocation in
// error, which S3's asynchronous invocation retries, rather than holding
// it to the function's 30 s timeout with nothing learned.
const (
	attemptTimeout = 10 * time.Second
	maxAttempts    = 2
	maxBackoff     = 250 * time.Millisecond
)

// NewClient returns the S3 client of the functions, with the bounds
// above. When AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) points it at a
// stand-in, it addresses buckets by path, as stand-ins serve them; on AWS
// it uses the virtual-hosted addresses S3 prefers.
func NewClient(awsCfg aws.Config) *s3.Client {
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = maxAttempts
			so.MaxBackoff = maxBackoff
		})
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(attemptTimeout)
		o.UsePathStyle = o.BaseEndpoint != nil
	})
}

// Buckets are the photo buckets a function's environment names: uploads
// are presigned into and read from Uploads (UPLOADS_BUCKET), processed
// photos written to Images (IMAGES_BUCKET). Either may be empty.
type Buckets struct {
	Uploads, Images string
}

// ReadBuckets reads UPLOADS_BUCKET and IMAGES_BUCKET through getenv and
// checks each one that is set.
func ReadBuckets(getenv func(string) string) (Buckets, error) {
	b := Buckets{Uploads: strings.TrimSpace(getenv("UPLOADS_BUCKET")), Images: strings.TrimSpace(getenv("IMAGES_BUCKET"))}
	for _, bucket := range []struct{ setting, name string }{{"UPLOADS_BUCKET", b.Uploads}, {"IMAGES_BUCKET", b.Images}} {
		if bucket.name == "" {
			continue
		}
		if err := CheckBucketName(bucket.name); err != nil {
			return Buckets{}, fmt.Errorf("config: %s: %w", bucket.setting, err)
		}
	}
	return b, nil
}

// SignerFromEnv returns the upload signer of UPLOADS_BUCKET (through
// getenv) with the client awsCfg configures, or nil without one: uploads
// then answer 503.
func SignerFromEnv(awsCfg aws.Config, getenv func(string) string) (market.UploadSigner, error) {
	b, err := ReadBuckets(getenv)
	if err != nil || b.Uploads == "" {
		return nil, err
	}
	signer, err := NewSigner(NewClient(awsCfg), b.Uploads)
	if err != nil {
		return nil, fmt.Errorf("config: UPLOADS_BUCKET: %w", err)
	}
	return signer, nil
}

// ObjectsFromEnv returns the object store of UPLOADS_BUCKET and
// IMAGES_BUCKET (through getenv), both required, with the client awsCfg
// configures.
func ObjectsFromEnv(awsCfg aws.Config, getenv func(string) string) (*Objects, error) {
	b, err := ReadBuckets(getenv)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, bucket := range []struct{ setting, name string }{{"UPLOADS_BUCKET", b.Uploads}, {"IMAGES_BUCKET", b.Images}} {
		if bucket.name == "" {
			missing = append(missing, bucket.setting)
		}
	}
	if len(missing) > 0 {
		return nil, errors.New("config: missing " + strings.Join(missing, ", ") + " (the image processor reads uploads from one and writes photos to the other)")
	}
	objects, err := NewObjects(NewClient(awsCfg), b.Uploads, b.Images)
	if err != nil {
		return nil, fmt.Errorf("config: UPLOADS_BUCKET, IMAGES_BUCKET: %w", err)
	}
	return objects, nil
}

// UploadsBucket is the bucket o reads uploads from.
func (o *Objects) UploadsBucket() string { return o.uploads }
