import { DataAwsSecretsmanagerRandomPassword } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password/index.js';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group/index.js';
import { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group/index.js';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { Construct } from 'constructs';
import { recoveryWindow } from './api-keys.js';

export const REDIS_PORT = 6379;

export interface RedisOptions {
  readonly name: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  /** Security groups allowed to connect (ECS tasks, Lambdas); nothing else is. */
  readonly clientSecurityGroupIds: Readonly<Record<string, string>>;
  readonly nodeType: string;
  readonly nodes: number;
  readonly automaticFailover: boolean;
  readonly snapshotRetentionDays: number;
  /** See StackConfig.destroyable: the AUTH secret is deleted without a recovery window. */
  readonly destroyable: boolean;
}

/**
 * ElastiCache Redis for rate limits and job records: encrypted in transit and at rest, AUTH token
 * kept in Secrets Manager, reachable only from the client security groups.
 */
export class Redis extends Construct {
  readonly replicationGroup: ElasticacheReplicationGroup;
  readonly authSecret: SecretsmanagerSecret;
  /** `rediss://` URL of the primary endpoint (the token travels separately, as REDIS_PASSWORD). */
  readonly url: string;

  constructor(scope: Construct, id: string, options: RedisOptions) {
    super(scope, id);
    if (options.automaticFailover && options.nodes < 2) {
      throw new Error(`${options.name}: automatic failover needs at least two nodes`);
    }
    this.authSecret = new SecretsmanagerSecret(this, 'auth', {
      name: `${options.name}/redis-auth`,
      description: 'AUTH token of the Redis replication group',
      ...recoveryWindow(options.destroyable),
    });
    // Generated once: the version ignores later reads of the generator, so the token (and the
    // replication group that uses it) stays the same on every plan until someone rotates it.
    const generated = new DataAwsSecretsmanagerRandomPassword(this, 'auth-generator', {
      passwordLength: 64,
      // Redis AUTH tokens take printable ASCII except a few punctuation characters; none is simplest.
      excludePunctuation: true,
    });
    const version = new SecretsmanagerSecretVersion(this, 'auth-value', {
      secretId: this.authSecret.id,
      secretString: generated.randomPassword,
      lifecycle: { ignoreChanges: ['secret_string'] },
    });

    const securityGroup = new SecurityGroup(this, 'sg', {
      name: `${options.name}-redis`,
      description: 'Redis: only the API tasks and Lambdas',
      vpcId: options.vpcId,
      tags: { Name: `${options.name}-redis` },
    });
    for (const [client, clientGroupId] of Object.entries(options.clientSecurityGroupIds)) {
      new VpcSecurityGroupIngressRule(this, `from-${client}`, {
        securityGroupId: securityGroup.id,
        description: `Redis from ${client}`,
        ipProtocol: 'tcp',
        fromPort: REDIS_PORT,
        toPort: REDIS_PORT,
        referencedSecurityGroupId: clientGroupId,
      });
      new VpcSecurityGroupEgressRule(this, `${client}-to-redis`, {
        securityGroupId: clientGroupId,
        description: 'Redis',
        ipProtocol: 'tcp',
        fromPort: REDIS_PORT,
        toPort: REDIS_PORT,
        referencedSecurityGroupId: securityGroup.id,
      });
    }

    const subnetGroup = new ElasticacheSubnetGroup(this, 'subnets', {
      name: `${options.name}-redis`,
      subnetIds: [...options.subnetIds],
    });
    this.replicationGroup = new ElasticacheReplicationGroup(this, 'redis', {
      replicationGroupId: `${options.name}-redis`,
      description: `Rate limits and job records (${options.name})`,
      engine: 'redis',
      engineVersion: '7.1',
      nodeType: options.nodeType,
      port: REDIS_PORT,
      numCacheClusters: options.nodes,
      automaticFailoverEnabled: options.automaticFailover,
      multiAzEnabled: options.automaticFailover,
      subnetGroupName: subnetGroup.name,
      securityGroupIds: [securityGroup.id],
      atRestEncryptionEnabled: 'true',
      transitEncryptionEnabled: true,
      authToken: version.secretString,
      snapshotRetentionLimit: options.snapshotRetentionDays,
      autoMinorVersionUpgrade: 'true',
    });
    this.url = `rediss://${this.replicationGroup.primaryEndpointAddress}:${REDIS_PORT}`;
  }
}
