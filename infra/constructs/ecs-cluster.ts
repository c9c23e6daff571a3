import { EcsCluster as AwsEcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster/index.js';
import { EcsClusterCapacityProviders } from '@cdktf/provider-aws/lib/ecs-cluster-capacity-providers/index.js';
import { Construct } from 'constructs';

export interface EcsClusterOptions {
  readonly name: string;
}

/**
 * The cluster the API service and the simulation tasks share, with Container Insights and both
 * Fargate capacity providers (FARGATE for the on-demand base, FARGATE_SPOT for the rest).
 */
export class EcsCluster extends Construct {
  readonly cluster: AwsEcsCluster;
  readonly capacityProviders: EcsClusterCapacityProviders;

  constructor(scope: Construct, id: string, options: EcsClusterOptions) {
    super(scope, id);
    this.cluster = new AwsEcsCluster(this, 'cluster', {
      name: options.name,
      setting: [{ name: 'containerInsights', value: 'enabled' }],
    });
    this.capacityProviders = new EcsClusterCapacityProviders(this, 'capacity-providers', {
      clusterName: this.cluster.name,
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    });
  }
}
