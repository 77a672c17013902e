"""The no-Docker local stack: moto for AWS, an HTTP front for the API, all read from template.yaml."""
