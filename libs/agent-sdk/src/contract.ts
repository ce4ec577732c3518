/**
 * The wire contract, taken straight from libs/contracts. Imported by relative path on purpose:
 * the @swarm/contracts barrel also exports request DTOs that load @nestjs/swagger and
 * class-validator, and an agent process must not pull in the server framework. The file
 * imported here has no imports of its own, so a value import of it stays framework-free.
 */
export { AGENTS_NAMESPACE, TASK_REPORT_BATCH_MAX } from '../../contracts/src/agent-socket';
export type {
  AckError,
  AckResponse,
  AgentClientToServerEvents,
  AgentServerToClientEvents,
  AgentSwarmInfo,
  BatchedTaskReport,
  HeartbeatAck,
  HeartbeatPayload,
  RegisteredInfo,
  RegisterPayload,
  ReportableAgentStatus,
  StopPayload,
  TaskAckPayload,
  TaskAssignBatchPayload,
  TaskAssignPayload,
  TaskCancelPayload,
  TaskFailPayload,
  TaskProgressPayload,
  TaskReportAck,
  TaskReportBase,
  TaskReportBatchAck,
  TaskReportBatchPayload,
  TaskResultPayload,
} from '../../contracts/src/agent-socket';
export type { SwarmMessageAck, SwarmMessageDelivery, SwarmMessageRequest, SwarmTopologyPayload } from '../../contracts/src/swarm-messaging';
export type { ConsensusClosedPayload, ConsensusRequestPayload, ConsensusVoteAck, ConsensusVotePayload } from '../../contracts/src/consensus';
export type { SubtaskFinishedPayload, SubtaskOutcome, SubtaskSpec, TaskDelegateAck, TaskDelegatePayload } from '../../contracts/src/delegation';
