// Package s3store keeps product photos in S3 through the AWS SDK: it
// presigns the browser's upload into the uploads bucket (market.UploadSigner)
// and gives the image processor the uploads to read and the images bucket to
// write (market.ObjectStore). It is the only package that knows S3's API;
// the same code runs on AWS and, pointed at internal/locals3, locally.
package s3store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/deliverymarket/delivery/internal/market"
)

// ImageCacheControl is the Cache-Control every processed photo is stored
// with, which CloudFront and browsers honour: its key is the hash of its
// bytes, so a key never names other bytes and may be kept for a year.
const ImageCacheControl = "public, max-age=31536000, immutable"

// bucketName is S3's rule for general purpose bucket names: 3..63
// lowercase letters, digits, dots and hyphens, starting and ending with a
// letter or a digit. The checks below add the rule's exceptions.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// CheckBucketName says why name cannot be an S3 bucket, or nil. A wrong
// name would otherwise surface only at the first upload, as an error from
// S3 that names no setting.
func CheckBucketName(name string) error {
	switch {
	case !bucketName.MatchString(name):
		return fmt.Errorf("bucket %q: 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit", name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("bucket %q: two adjacent dots", name)
	case net.ParseIP(name) != nil:
		return fmt.Errorf("bucket %q: formatted as an IP address", name)
	case strings.HasPrefix(name, "xn--") || strings.HasPrefix(name, "sthree-"):
		return fmt.Errorf("bucket %q: a reserved prefix", name)
	case strings.HasSuffix(name, "-s3alias") || strings.HasSuffix(name, "--ol-s3"):
		return fmt.Errorf("bucket %q: a reserved suffix", name)
	}
	return nil
}

// Signer presigns photo uploads into the uploads bucket. Signing needs no
// call to S3: only the credentials of the function's role.
type Signer struct {
	presign *s3.PresignClient
	bucket  string
	formURL string
}

var _ market.UploadSigner = (*Signer)(nil)

// SignerOption configures a Signer.
type SignerOption func(*Signer)

// WithFormURL makes the forms post to url instead of the bucket's endpoint
// as the client resolves it. The local runner hosts its S3 stand-in on the
// site's own origin and the browser must post there (a path such as
// "/s3/<bucket>"), whatever address the runner's own client uses.
func WithFormURL(url string) SignerOption {
	return func(s *Signer) { s.formURL = url }
}

// NewSigner returns the signer of bucket, with client's credentials,
// region and endpoint.
func NewSigner(client *s3.Client, bucket string, opts ...SignerOption) (*Signer, error) {
	if client == nil {
		return nil, errors.New("s3store: no S3 client")
	}
	if err := CheckBucketName(bucket); err != nil {
		return nil, err
	}
	s := &Signer{presign: s3.NewPresignClient(client), bucket: bucket}
	for _, opt := range opts {
		opt(s)
	}
	return s, nil
}

// SignUpload returns a presigned POST for exactly key. The SDK's policy
// already pins the bucket, the credential, the signing date and algorithm
// (and the session token, on a role's credentials); the conditions here add
// what makes the upload safe to accept: the one key the server chose (an
// exact match, never starts-with), a size of 1..MaxUploadBytes checked by S3
// on the actual file, and the declared Content-Type. S3 refuses a form that
// carries any field the policy does not name, so the client cannot add
// metadata or an ACL either.
func (s *Signer) SignUpload(ctx context.Context, key market.UploadKey, contentType string) (market.UploadForm, error) {
	if !slices.Contains(market.UploadContentTypes, contentType) {
		return market.UploadForm{}, market.FieldError("contentType", "contentType must be one of %s", strings.Join(market.UploadContentTypes, ", "))
	}
	name := key.String()
	if _, err := market.ParseUploadKey(name); err != nil {
		return market.UploadForm{}, fmt.Errorf("sign upload: %w", err)
	}
	req, err := s.presign.PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(name)},
		func(o *s3.PresignPostOptions) {
			o.Expires = market.UploadTTL
			o.Conditions = []any{
				map[string]string{"key": name},
				[]any{"content-length-range", 1, market.MaxUploadBytes},
				map[string]string{"Content-Type": contentType},
			}
		})
	if err != nil {
		return market.UploadForm{}, fmt.Errorf("sign upload: %w", err)
	}
	expires, err := policyExpiration(req.Values["policy"])
	if err != nil {
		return market.UploadForm{}, fmt.Errorf("sign upload: %w", err)
	}
	fields := make(map[string]string, len(req.Values)+1)
	for k, v := range req.Values {
		fields[k] = v
	}
	// The policy requires the field; the SDK leaves it to the caller.
	fields["Content-Type"] = contentType
	url := req.URL
	if s.formURL != "" {
		url = s.formURL
	}
	return market.UploadForm{URL: url, Fields: fields, ExpiresAt: expires, UploadID: key.UploadID, MaxBytes: market.MaxUploadBytes}, nil
}

// policyExpiration reads the expiry S3 will enforce out of the signed
// policy itself, so that the form's ExpiresAt can never disagree with it.
func policyExpiration(policy string) (time.Time, error) {
	raw, err := base64.StdEncoding.DecodeString(policy)
	if err != nil {
		return time.Time{}, fmt.Errorf("policy: %w", err)
	}
	var doc struct {
		Expiration time.Time `json:"expiration"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return time.Time{}, fmt.Errorf("policy: %w", err)
	}
	if doc.Expiration.IsZero() {
		return time.Time{}, errors.New("policy: no expiration")
	}
	return doc.Expiration.UTC(), nil
}

// Objects are the uploads bucket the processor reads (and empties) and the
// images bucket it writes.
type Objects struct {
	client          *s3.Client
	uploads, images string
}

var _ market.ObjectStore = (*Objects)(nil)

// NewObjects returns the object store of the two buckets.
func NewObjects(client *s3.Client, uploadsBucket, imagesBucket string) (*Objects, error) {
	if client == nil {
		return nil, errors.New("s3store: no S3 client")
	}
	for _, b := range []string{uploadsBucket, imagesBucket} {
		if err := CheckBucketName(b); err != nil {
			return nil, err
		}
	}
	if uploadsBucket == imagesBucket {
		// Uploads are hostile until processed and the processor deletes
		// them; published photos are served to everyone. One bucket would
		// put both behind the same policies and lifecycle rule.
		return nil, fmt.Errorf("s3store: the uploads and images buckets are both %q", uploadsBucket)
	}
	return &Objects{client: client, uploads: uploadsBucket, images: imagesBucket}, nil
}

// checkUploadKey refuses a key outside the uploads prefix: the processor's
// role may only read and delete there.
func checkUploadKey(key string) error {
	if !strings.HasPrefix(key, market.UploadPrefix) {
		return fmt.Errorf("%q is not under %s", key, market.UploadPrefix)
	}
	return nil
}

// OpenUpload opens an upload for reading; the caller closes it.
// CodeNotFound if it is gone. With only s3:GetObject on the key, S3 answers
// a missing key with 403 AccessDenied rather than 404: the function's role
// also needs s3:ListBucket on the uploads bucket for a gone upload to be
// told from a refused one.
func (o *Objects) OpenUpload(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkUploadKey(key); err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	out, err := o.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.uploads), Key: aws.String(key)})
	if err != nil {
		var missing *types.NoSuchKey
		if errors.As(err, &missing) {
			return nil, &market.Error{Code: market.CodeNotFound, Message: "the upload is gone", Err: err}
		}
		return nil, fmt.Errorf("open upload: %w", err)
	}
	return out.Body, nil
}

// DeleteUpload deletes an upload; S3 answers 204 for a key that is gone
// too, so deleting twice succeeds.
func (o *Objects) DeleteUpload(ctx context.Context, key string) error {
	if err := checkUploadKey(key); err != nil {
		return fmt.Errorf("delete upload: %w", err)
	}
	_, err := o.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(o.uploads), Key: aws.String(key)})
	if err != nil {
		var missing *types.NoSuchKey
		if errors.As(err, &missing) {
			return nil
		}
		return fmt.Errorf("delete upload: %w", err)
	}
	return nil
}

// PutImage writes a processed variant under market.ImageObjectKey(sum) as
// a JPEG with ImageCacheControl. It refuses bytes that do not hash to sum:
// a key that named other bytes would be cached for a year.
func (o *Objects) PutImage(ctx context.Context, sum string, data []byte) error {
	got := sha256.Sum256(data)
	if hex.EncodeToString(got[:]) != sum {
		return fmt.Errorf("put image: %q is not the SHA-256 of its %d bytes", sum, len(data))
	}
	_, err := o.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(o.images),
		Key:           aws.String(market.ImageObjectKey(sum)),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String("image/jpeg"),
		CacheControl:  aws.String(ImageCacheControl),
	})
	if err != nil {
		return fmt.Errorf("put image: %w", err)
	}
	return nil
}
