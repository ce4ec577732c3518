import { Global, Module } from '@nestjs/common';
import { AgentLiveState } from './agent-live-state';
import { AgentSocketCommands } from './agent-socket-commands';
import { SwarmEventBroadcaster } from './swarm-event-broadcaster';
import { TaskDispatchStore } from './task-dispatch-store';
import { TaskReportStream } from './task-report-stream';
import { SwarmMessageLog } from './swarm-message-log';
import { LocalSocketNamespaces } from './local-socket-namespaces';

const PROVIDERS = [LocalSocketNamespaces, SwarmEventBroadcaster, AgentSocketCommands, AgentLiveState, TaskDispatchStore, TaskReportStream, SwarmMessageLog];

/** Redis-backed services shared by the api and the worker: live agent state, socket messages. */
@Global()
@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class BroadcastModule {}
