// The replica-to-replica bus, global so any module can reach replicas holding state it does not.
import { Global, Module } from '@nestjs/common';
import { ClusterBus } from './cluster-bus.js';

@Global()
@Module({ providers: [ClusterBus], exports: [ClusterBus] })
export class ClusterModule {}
