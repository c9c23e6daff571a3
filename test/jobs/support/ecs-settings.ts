/** The ECS runner settings the jobs tests and the jobs benchmark run against the local ECS server. */
export const ecsSettings = {
  cluster: 'jobs',
  taskDefinition: 'simulation:1',
  containerName: 'simulation',
  capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
  fallbackCapacityProvider: 'FARGATE',
  subnets: ['subnet-1'],
  securityGroups: ['sg-1'],
  assignPublicIp: false,
} as const;
