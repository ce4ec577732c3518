import { Global, Module } from '@nestjs/common';
import { AgentLiveState } from './agent-live-state';
import { AgentSocketCommands } from './agent-socket-commands';
import { SwarmEventBroadcaster } from './swarm-event-broadcaster';

const PROVIDERS = [SwarmEventBroadcaster, AgentSocketCommands, AgentLiveState];

/** Redis-backed services shared by the api and the worker: live agent state, socket messages. */
@Global()
@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class BroadcastModule {}
