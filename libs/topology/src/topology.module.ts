import { Module } from '@nestjs/common';
import { SwarmLayoutReader } from './swarm-layout-reader';
import { SwarmTopologySync } from './swarm-topology-sync';
import { TopologyAnnouncer } from './topology-announcer';

/** Topology upkeep shared by the api (joins, leaves, topology changes) and the worker (health). */
@Module({ providers: [SwarmTopologySync, TopologyAnnouncer, SwarmLayoutReader], exports: [SwarmTopologySync, TopologyAnnouncer, SwarmLayoutReader] })
export class TopologyModule {}
