package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/deliverymarket/delivery/internal/cli"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/s3store"
)

// seedPhotosCommand gives the demo products of a database their drawn
// photos in the photo buckets (or in the stand-in AWS_ENDPOINT_URL_S3
// names), as the runner does in its own S3 at every start:
//
//	go run ./cmd/local seed -dsn DSN ...      # the catalog, demo products included
//	go run ./cmd/deployment seed-photos -dsn DSN -uploads-bucket NAME -images-bucket NAME
func seedPhotosCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("seed-photos", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dsn := flags.String("dsn", os.Getenv("DELIVERY_DSN"), "MySQL DSN of the database, migrated and seeded (env DELIVERY_DSN)")
	uploads := flags.String("uploads-bucket", os.Getenv("UPLOADS_BUCKET"), "the uploads bucket (env UPLOADS_BUCKET)")
	images := flags.String("images-bucket", os.Getenv("IMAGES_BUCKET"), "the images bucket the photos are served from (env IMAGES_BUCKET)")
	if err := cli.Parse(flags, args); err != nil {
		return err
	}
	if *dsn == "" || strings.TrimSpace(*uploads) == "" || strings.TrimSpace(*images) == "" {
		return cli.Usagef("seed-photos: -dsn, -uploads-bucket and -images-bucket are required")
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("seed-photos: aws: %w", err)
	}
	objects, err := s3store.NewObjects(s3store.NewClient(awsCfg), strings.TrimSpace(*uploads), strings.TrimSpace(*images))
	if err != nil {
		return fmt.Errorf("seed-photos: %w", err)
	}
	db, err := mysql.OpenDSN(*dsn, 2)
	if err != nil {
		return fmt.Errorf("seed-photos: %w", err)
	}
	defer db.Close()
	given, err := demo.SeedPhotos(ctx, db, objects)
	if err != nil {
		return fmt.Errorf("seed-photos: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "photos: %d demo products given one, in s3://%s\n", given, strings.TrimSpace(*images))
	return err
}
