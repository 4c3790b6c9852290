#!/usr/bin/env bash
# ha_test.sh with the two auth servers on DynamoDB (dynalite on loopback, every
# request SigV4-signed and checked) instead of etcd.
HA_BACKEND=dynamodb
source "$(dirname "$0")/ha_test.sh"
