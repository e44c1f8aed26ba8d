// Command migrate is the Lambda setup.sh invokes to apply the embedded
// goose migrations inside the VPC, to create each function's MySQL user
// with its grants (DB_USERS), to create a first company, and to add,
// remove and list carriers, keeping the carriers' SNS topic subscribed to
// the active carriers' phones (SMS_TOPIC_ARN). Its logic lives in
// internal/admin and migrations/.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/awssecrets"
	"github.com/deliverymarket/delivery/internal/lambdaenv"
	"github.com/deliverymarket/delivery/internal/lambdainit"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify/snssms"
)

func main() {
	fn, err := lambdaenv.Load(context.Background())
	if err != nil {
		lambdainit.Failed("migrate", err)
	}
	topic, err := snssms.TopicFromEnv(fn.AWS, os.Getenv)
	if err != nil {
		lambdainit.Failed("migrate", err)
	}
	secrets := awssecrets.NewClient(fn.AWS)
	users, err := admin.UsersFromEnv(os.Getenv, func(arn string) mysql.CredentialSource { return awssecrets.NewDBCredentials(secrets, arn) })
	if err != nil {
		lambdainit.Failed("migrate", err)
	}
	lambda.Start(admin.Migrate(fn.Deps, topic.Sync, users))
}
