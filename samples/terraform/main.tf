# samples/terraform/main.tf - the sigboot layer and a function on provided.al2023 that it
# verifies at every cold start, with AWS code signing (deploy-time) on top. docs/deploy.md
# explains the two signatures: sigboot's (inside the package, checked by /opt/bootstrap at
# every cold start) and AWS Signer's (on the zip, checked by Lambda once at deployment).
#
# Inputs: build/layer-ARCH.zip from `make layer CONFIG=config.json`, and the function zip
# signed with `sigboot sign` (it must not contain a `bootstrap` at its root). Terraform
# uploads both to a versioned bucket, has AWS Signer sign them, and deploys the signed copies.
#   terraform init && terraform apply -var bucket=my-artifacts-bucket -var architecture=arm64

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "bucket" {
  description = "An existing S3 bucket with versioning enabled (AWS Signer reads object versions)"
  type        = string
}

variable "architecture" {
  description = "x86_64 or arm64: selects build/layer-ARCH.zip"
  type        = string
  default     = "x86_64"
  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "function_zip" {
  description = "The function package signed by `sigboot sign` (no bootstrap at its root)"
  type        = string
  default     = "../../build/function-signed.zip"
}

variable "deploy_policy" {
  description = "AWS deploy-time policy (Enforce or Warn); the cold-start policy is in the layer's config.json"
  type        = string
  default     = "Enforce"
}

locals {
  layer_zip = "${path.module}/../../build/layer-${var.architecture}.zip"
}

# --- AWS Signer: deploy-time signatures ------------------------------------------------------

resource "aws_signer_signing_profile" "deploy" {
  platform_id = "AWSLambda-SHA384-ECDSA"
  name_prefix = "sigboot_deploy_"
  signature_validity_period {
    value = 135
    type  = "MONTHS"
  }
}

resource "aws_lambda_code_signing_config" "this" {
  description = "Only packages signed by the sigboot deploy profile"
  allowed_publishers {
    signing_profile_version_arns = [aws_signer_signing_profile.deploy.version_arn]
  }
  policies {
    untrusted_artifact_on_deployment = var.deploy_policy
  }
}

resource "aws_s3_object" "layer" {
  bucket = var.bucket
  key    = "sigboot/unsigned/layer-${var.architecture}.zip"
  source = local.layer_zip
  etag   = filemd5(local.layer_zip)
}

resource "aws_s3_object" "function" {
  bucket = var.bucket
  key    = "sigboot/unsigned/function.zip"
  source = var.function_zip
  etag   = filemd5(var.function_zip)
}

resource "aws_signer_signing_job" "layer" {
  profile_name = aws_signer_signing_profile.deploy.name
  source {
    s3 {
      bucket  = var.bucket
      key     = aws_s3_object.layer.key
      version = aws_s3_object.layer.version_id
    }
  }
  destination {
    s3 {
      bucket = var.bucket
      prefix = "sigboot/signed/layer-"
    }
  }
  ignore_signing_job_failure = false
}

resource "aws_signer_signing_job" "function" {
  profile_name = aws_signer_signing_profile.deploy.name
  source {
    s3 {
      bucket  = var.bucket
      key     = aws_s3_object.function.key
      version = aws_s3_object.function.version_id
    }
  }
  destination {
    s3 {
      bucket = var.bucket
      prefix = "sigboot/signed/function-"
    }
  }
  ignore_signing_job_failure = false
}

# --- The layer and the function --------------------------------------------------------------

resource "aws_lambda_layer_version" "sigboot" {
  layer_name               = "sigboot-${var.architecture}"
  description              = "sigboot static bootstrap (/opt/bootstrap), CLI (/opt/bin/sigboot), config"
  s3_bucket                = aws_signer_signing_job.layer.signed_object[0].s3[0].bucket
  s3_key                   = aws_signer_signing_job.layer.signed_object[0].s3[0].key
  compatible_runtimes      = ["provided.al2023", "provided.al2"]
  compatible_architectures = [var.architecture]
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name_prefix        = "sigboot-function-"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_function" "this" {
  function_name           = "sigboot-demo-${var.architecture}"
  role                    = aws_iam_role.function.arn
  runtime                 = "provided.al2023"
  architectures           = [var.architecture]
  handler                 = "handler.sh" # _HANDLER: an executable in the package, or exec:PATH
  s3_bucket               = aws_signer_signing_job.function.signed_object[0].s3[0].bucket
  s3_key                  = aws_signer_signing_job.function.signed_object[0].s3[0].key
  layers                  = [aws_lambda_layer_version.sigboot.arn]
  code_signing_config_arn = aws_lambda_code_signing_config.this.arn
  memory_size             = 128
  timeout                 = 10

  environment {
    variables = {
      # The default; another absolute path outside /var/task selects a config from another layer.
      SIGBOOT_CONFIG = "/opt/sigboot/config.json"
    }
  }

  logging_config {
    log_format = "JSON"
  }

  depends_on = [aws_iam_role_policy_attachment.logs]
}

output "function_name" {
  value = aws_lambda_function.this.function_name
}

output "layer_version_arn" {
  value = aws_lambda_layer_version.sigboot.arn
}
