import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones/index.js';
import { Eip } from '@cdktf/provider-aws/lib/eip/index.js';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway/index.js';
import { Route } from '@cdktf/provider-aws/lib/route/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import type { NetworkConfig } from '../stack-config.js';

export interface NetworkOptions {
  readonly namePrefix: string;
  readonly config: NetworkConfig;
}

/**
 * The VPC: public subnets for the ALB and NAT gateways, private subnets for tasks, Lambdas and
 * Redis, across `azCount` AZs. Or the IDs of an existing VPC, taken as they are.
 */
export class Network extends Construct {
  readonly vpcId: string;
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];

  constructor(scope: Construct, id: string, options: NetworkOptions) {
    super(scope, id);
    const { config, namePrefix } = options;
    if (config.kind === 'existing') {
      if (config.publicSubnetIds.length < 2 || config.privateSubnetIds.length < 2) {
        throw new Error(
          `${namePrefix}: an existing network needs at least two public and two private subnets`,
        );
      }
      this.vpcId = config.vpcId;
      this.publicSubnetIds = [...config.publicSubnetIds];
      this.privateSubnetIds = [...config.privateSubnetIds];
      return;
    }
    if (config.azCount < 2) throw new Error(`${namePrefix}: the network needs at least two AZs`);

    const zones = new DataAwsAvailabilityZones(this, 'zones', { state: 'available' });
    const vpc = new Vpc(this, 'vpc', {
      cidrBlock: config.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: namePrefix },
    });
    this.vpcId = vpc.id;
    const igw = new InternetGateway(this, 'igw', { vpcId: vpc.id, tags: { Name: namePrefix } });

    const publicRoutes = new RouteTable(this, 'public-routes', {
      vpcId: vpc.id,
      tags: { Name: `${namePrefix}-public` },
    });
    new Route(this, 'public-default', {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.id,
    });

    const publicSubnets: Subnet[] = [];
    const privateSubnets: Subnet[] = [];
    for (let i = 0; i < config.azCount; i += 1) {
      const az = Fn.element(zones.names, i);
      // /20s: 4,091 addresses each; public from the bottom of the range, private from the middle.
      const pub = new Subnet(this, `public-${i}`, {
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: Fn.cidrsubnet(config.cidr, 4, i),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${namePrefix}-public-${i}`, Tier: 'public' },
      });
      new RouteTableAssociation(this, `public-${i}-routes`, {
        subnetId: pub.id,
        routeTableId: publicRoutes.id,
      });
      publicSubnets.push(pub);
      privateSubnets.push(
        new Subnet(this, `private-${i}`, {
          vpcId: vpc.id,
          availabilityZone: az,
          cidrBlock: Fn.cidrsubnet(config.cidr, 4, 8 + i),
          tags: { Name: `${namePrefix}-private-${i}`, Tier: 'private' },
        }),
      );
    }

    const natCount = config.natGateways === 'per-az' ? config.azCount : 1;
    const nats = publicSubnets.slice(0, natCount).map((subnet, i) => {
      const eip = new Eip(this, `nat-${i}-ip`, { domain: 'vpc', tags: { Name: `${namePrefix}-nat-${i}` } });
      return new NatGateway(this, `nat-${i}`, {
        allocationId: eip.allocationId,
        subnetId: subnet.id,
        tags: { Name: `${namePrefix}-nat-${i}` },
        dependsOn: [igw],
      });
    });
    privateSubnets.forEach((subnet, i) => {
      const table = new RouteTable(this, `private-${i}-routes`, {
        vpcId: vpc.id,
        tags: { Name: `${namePrefix}-private-${i}` },
      });
      new Route(this, `private-${i}-default`, {
        routeTableId: table.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: (nats[i] ?? (nats[0] as NatGateway)).id,
      });
      new RouteTableAssociation(this, `private-${i}-association`, {
        subnetId: subnet.id,
        routeTableId: table.id,
      });
    });

    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
  }
}
