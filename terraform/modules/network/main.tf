data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  azs = length(var.availability_zones) > 0 ? var.availability_zones : slice(data.aws_availability_zones.available.names, 0, 2)

  # /16 -> private 10.x.0.0/20, 10.x.16.0/20; public 10.x.128.0/24, 10.x.129.0/24
  private_cidrs = [for i, _ in local.azs : cidrsubnet(var.cidr_block, 4, i)]
  public_cidrs  = [for i, _ in local.azs : cidrsubnet(var.cidr_block, 8, 128 + i)]

  endpoint_subnet_ids = slice(aws_subnet.private[*].id, 0, min(var.interface_endpoint_az_count, length(local.azs)))

  # Services the in-VPC Lambdas call (no NAT: everything else is unreachable): secrets, Lambda, SNS
  # for the sign-in and cancel SMS and the carriers' topic subscriptions, Amazon Location's routes
  # (geo.routes, whose private DNS name is the routes.geo.<region> host CalculateRouteMatrix is sent to) for
  # the delivery routes of quotes and orders, and SQS for the timers of the waves of carrier offers
  # (SendMessage; the event source mapping that delivers them polls from Lambda's side, not the VPC's).
  lambda_endpoints = toset(["secretsmanager", "lambda", "sns", "geo.routes", "sqs"])
  # Services the bastion's SSM agent needs for Session Manager without internet egress.
  ssm_endpoints = var.enable_ssm_endpoints ? toset(["ssm", "ssmmessages", "ec2messages"]) : toset([])

  region = data.aws_region.current.name
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name })
}

# Take every rule away from the default security group so nothing uses it by accident.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-default-unused" })
}

resource "aws_subnet" "private" {
  count = length(local.azs)

  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = local.private_cidrs[count.index]

  tags = merge(var.tags, { Name = "${var.name}-private-${local.azs[count.index]}", Tier = "private" })
}

# Public subnets host only the bastion; instances get no public IP unless they ask for one (Elastic IP).
resource "aws_subnet" "public" {
  count = length(local.azs)

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.azs[count.index]
  cidr_block              = local.public_cidrs[count.index]
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-public-${local.azs[count.index]}", Tier = "public" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = length(local.azs)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# Private subnets have no route out of the VPC: no NAT gateway, only VPC endpoints.
resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-private" })
}

resource "aws_route_table_association" "private" {
  count = length(local.azs)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# Gateway endpoints (free), one per route table so that each can have its own policy.
# The bastion's: the Amazon Linux 2023 package repositories are S3 buckets, so the bastion installs
# packages without general internet egress.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.public.id]

  tags = merge(var.tags, { Name = "${var.name}-s3" })
}

# The private subnets': the functions that read and write the buckets of the application (the product
# photos). Its policy is left to the usecase that owns those buckets (aws_vpc_endpoint_policy), which
# narrows it to them; until then it is the default full-access policy.
resource "aws_vpc_endpoint" "s3_private" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]

  tags = merge(var.tags, { Name = "${var.name}-s3-private" })

  # A route table takes one S3 gateway endpoint: when a network that had a single endpoint for both route
  # tables is updated, the private route table must leave that endpoint before this one is created.
  depends_on = [aws_vpc_endpoint.s3]
}

# --- Security groups -------------------------------------------------------

resource "aws_security_group" "lambda" {
  name        = "${var.name}-lambda"
  description = "In-VPC Lambda functions: egress to the database and the interface endpoints only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-lambda" })
}

resource "aws_security_group" "database" {
  name        = "${var.name}-database"
  description = "MySQL: ingress from the Lambda functions and the bastion only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-database" })
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name}-endpoints"
  description = "Interface endpoints used by the Lambda functions: HTTPS from the Lambda security group only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-endpoints" })
}

resource "aws_security_group" "ssm_endpoints" {
  name        = "${var.name}-ssm-endpoints"
  description = "Systems Manager interface endpoints: HTTPS from the bastion only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-ssm-endpoints" })
}

resource "aws_security_group" "bastion" {
  name        = "${var.name}-bastion"
  description = "Bastion: SSH from the allowed CIDRs, egress to MySQL, SSM endpoints and S3 package repositories"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-bastion" })
}

# Lambda -> RDS 3306, Lambda -> endpoints 443, Lambda -> S3 (gateway endpoint) 443
resource "aws_vpc_security_group_egress_rule" "lambda_to_database" {
  security_group_id            = aws_security_group.lambda.id
  description                  = "MySQL to the database"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = aws_security_group.database.id
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_s3" {
  security_group_id = aws_security_group.lambda.id
  description       = "HTTPS to S3 through the private subnets' gateway endpoint (its policy names the buckets)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.s3_private.prefix_list_id
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_endpoints" {
  security_group_id            = aws_security_group.lambda.id
  description                  = "HTTPS to the Secrets Manager, Lambda, SNS, Amazon Location routes and SQS interface endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoints.id
}

resource "aws_vpc_security_group_ingress_rule" "database_from_lambda" {
  security_group_id            = aws_security_group.database.id
  description                  = "MySQL from the Lambda functions"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = aws_security_group.lambda.id
}

resource "aws_vpc_security_group_ingress_rule" "database_from_bastion" {
  security_group_id            = aws_security_group.database.id
  description                  = "MySQL from the bastion"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = aws_security_group.bastion.id
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_lambda" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from the Lambda functions"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.lambda.id
}

resource "aws_vpc_security_group_ingress_rule" "ssm_endpoints_from_bastion" {
  security_group_id            = aws_security_group.ssm_endpoints.id
  description                  = "HTTPS from the bastion's SSM agent"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.bastion.id
}

# SSH ingress to the bastion is added by the bastion module, from its ssh_cidrs.

resource "aws_vpc_security_group_egress_rule" "bastion_to_database" {
  security_group_id            = aws_security_group.bastion.id
  description                  = "MySQL to the database"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = aws_security_group.database.id
}

resource "aws_vpc_security_group_egress_rule" "bastion_to_ssm" {
  security_group_id            = aws_security_group.bastion.id
  description                  = "HTTPS to the Systems Manager endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.ssm_endpoints.id
}

resource "aws_vpc_security_group_egress_rule" "bastion_to_s3" {
  security_group_id = aws_security_group.bastion.id
  description       = "HTTPS to S3 (Amazon Linux package repositories) through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.s3.prefix_list_id
}

# --- Interface endpoints -----------------------------------------------------

resource "aws_vpc_endpoint" "lambda_services" {
  for_each = local.lambda_endpoints

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = local.endpoint_subnet_ids
  security_group_ids  = [aws_security_group.endpoints.id]

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_vpc_endpoint" "ssm_services" {
  for_each = local.ssm_endpoints

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = local.endpoint_subnet_ids
  security_group_ids  = [aws_security_group.ssm_endpoints.id]

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

# --- Flow logs ------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/vpc/${var.name}/flow-logs"
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name_prefix        = "${var.name}-flow-logs-"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = ["${aws_cloudwatch_log_group.flow_logs.arn}:log-stream:*"]
  }

  statement {
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${data.aws_partition.current.partition}:logs:${local.region}:${data.aws_caller_identity.current.account_id}:log-group:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}

resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = var.flow_log_traffic_type
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn         = aws_iam_role.flow_logs.arn

  tags = merge(var.tags, { Name = var.name })
}
