output "instance_id" {
  description = "ID of the bastion instance (target of aws ssm start-session)."
  value       = aws_instance.this.id
}

output "public_ip" {
  description = "Elastic IP of the bastion."
  value       = aws_eip.this.public_ip
}

output "private_ip" {
  description = "Private IP of the bastion."
  value       = aws_instance.this.private_ip
}

output "ssh_user" {
  description = "Login user of the Amazon Linux 2023 AMI."
  value       = "ec2-user"
}

output "role_name" {
  description = "Name of the bastion's instance role."
  value       = aws_iam_role.this.name
}
