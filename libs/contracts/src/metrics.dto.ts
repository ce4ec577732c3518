import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  AGENT_STATUSES,
  AgentStatus,
  DEFAULT_HISTORY_WINDOW,
  DEFAULT_LIVE_METRIC_WINDOW,
  LIVE_METRIC_WINDOWS,
  LiveMetricWindow,
  METRICS_HISTORY_PAGE,
  ROLLUP_WINDOWS,
  RollupWindow,
} from '@swarm/domain';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, Max, Min } from 'class-validator';

// --- GET /swarms/:swarmId/metrics ------------------------------------------------------------

export class SwarmMetricsQuery {
  @ApiPropertyOptional({ enum: LIVE_METRIC_WINDOWS, default: DEFAULT_LIVE_METRIC_WINDOW, description: 'The figures cover [now - window, now)' })
  @IsOptional()
  @IsIn(LIVE_METRIC_WINDOWS, { message: `window must be one of ${LIVE_METRIC_WINDOWS.join(', ')}` })
  window?: LiveMetricWindow;
}

export class LatencyStatsView {
  @ApiProperty({ type: Number, nullable: true, example: 120.5, description: 'Median (percentile_cont), ms' }) p50!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 480 }) p95!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 910.2 }) p99!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 180.25 }) mean!: number | null;
  @ApiProperty({ example: 42, description: 'Tasks the figures are computed over' }) count!: number;
}

export class TaskLatencyView {
  @ApiProperty({ type: LatencyStatsView, description: 'assigned_at - queued_at of tasks completed in the window' })
  queue_wait!: LatencyStatsView;
  @ApiProperty({ type: LatencyStatsView, description: 'completed_at - started_at of tasks completed in the window' })
  execution!: LatencyStatsView;
  @ApiProperty({ type: LatencyStatsView, description: 'completed_at - created_at of tasks completed in the window' })
  end_to_end!: LatencyStatsView;
}

export class QueueDepthView {
  @ApiProperty({ description: 'Waiting for dependencies' }) pending!: number;
  @ApiProperty({ description: 'Dispatchable, or waiting for a retry backoff or an eligible agent' }) queued!: number;
  @ApiProperty({ description: 'Handed to an agent, not acknowledged yet' }) assigned!: number;
  @ApiProperty() running!: number;
  @ApiProperty({ description: 'Sum of the above' }) total!: number;
}

export class AttemptCountsView {
  @ApiProperty({ description: 'Attempts assigned in the window' }) assigned!: number;
  @ApiProperty({ description: 'Of those, retries (attempt_number > 1)' }) retried!: number;
  @ApiProperty({ description: 'Attempts that ended in the window, whatever the outcome' }) finished!: number;
  @ApiProperty({ description: 'Of those, failed or timed out' }) failed!: number;
}

export class SwarmMetricsView {
  @ApiProperty({ format: 'uuid' }) swarm_id!: string;
  @ApiProperty({ enum: LIVE_METRIC_WINDOWS }) window!: LiveMetricWindow;
  @ApiProperty({ type: String, format: 'date-time' }) from!: string;
  @ApiProperty({ type: String, format: 'date-time' }) to!: string;
  @ApiProperty({ description: 'Tasks created in the window' }) tasks_submitted!: number;
  @ApiProperty({ description: 'Tasks completed in the window' }) tasks_completed!: number;
  @ApiProperty({ description: 'Tasks that ended failed or timed_out in the window' }) tasks_failed!: number;
  @ApiProperty({ description: 'Tasks cancelled in the window' }) tasks_cancelled!: number;
  @ApiProperty({ example: 0.25, description: 'tasks_completed / window seconds' }) throughput_per_sec!: number;
  @ApiProperty({ type: TaskLatencyView, description: 'Latencies in milliseconds' }) latency_ms!: TaskLatencyView;
  @ApiProperty({ type: QueueDepthView, description: 'Tasks not final, now' }) queue_depth!: QueueDepthView;
  @ApiProperty({
    example: 0.42,
    description:
      'Busy slot time of attempts overlapping the window (assigned_at to finished_at or now, clipped to the window) / ' +
      '(window seconds x sum of max_concurrency of the active members), within 0..1; 0 without capacity',
  })
  agent_utilization!: number;
  @ApiProperty({ description: 'Tasks assigned or running now' }) in_flight_now!: number;
  @ApiProperty({ description: 'Sum of max_concurrency of the active members now' }) capacity_now!: number;
  @ApiProperty({ example: 0.05, description: 'Failed or timed-out attempts / attempts that ended in the window (0 when none ended)' })
  error_rate!: number;
  @ApiProperty({ example: 0.1, description: 'Retries / attempts assigned in the window (0 when none was assigned)' })
  retry_rate!: number;
  @ApiProperty({ type: AttemptCountsView, description: 'The counts behind error_rate and retry_rate' }) attempts!: AttemptCountsView;
}

// --- GET /swarms/:swarmId/metrics/history ----------------------------------------------------

export class SwarmMetricsHistoryQuery {
  @ApiPropertyOptional({ enum: ROLLUP_WINDOWS, default: DEFAULT_HISTORY_WINDOW, description: 'Bucket size of the roll-ups' })
  @IsOptional()
  @IsIn(ROLLUP_WINDOWS, { message: `window must be one of ${ROLLUP_WINDOWS.join(', ')}` })
  window?: RollupWindow;

  @ApiPropertyOptional({ format: 'date-time', description: 'Buckets starting at or after this time (default: 60 buckets before `to`)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date-time' })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Buckets starting before this time (default: now)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date-time' })
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: METRICS_HISTORY_PAGE.max, default: METRICS_HISTORY_PAGE.default })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(METRICS_HISTORY_PAGE.max)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor from the previous page' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'cursor must be a next_cursor value from a previous page' })
  cursor?: string;
}

export class PercentilesView {
  @ApiProperty({ type: Number, nullable: true }) p50!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p95!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p99!: number | null;
}

export class RollupLatencyView {
  @ApiProperty({ type: PercentilesView }) queue_wait!: PercentilesView;
  @ApiProperty({ type: PercentilesView }) execution!: PercentilesView;
  @ApiProperty({ type: PercentilesView }) end_to_end!: PercentilesView;
}

export class SwarmMetricsBucketView {
  @ApiProperty({ type: String, format: 'date-time' }) bucket_start!: string;
  @ApiProperty({ type: String, format: 'date-time' }) bucket_end!: string;
  @ApiProperty() tasks_submitted!: number;
  @ApiProperty() tasks_completed!: number;
  @ApiProperty({ description: 'Failed or timed out' }) tasks_failed!: number;
  @ApiProperty({ description: 'Retry attempts assigned in the bucket' }) tasks_retried!: number;
  @ApiProperty() throughput_per_sec!: number;
  @ApiProperty({ type: RollupLatencyView, description: 'Latencies in milliseconds of tasks completed in the bucket' })
  latency_ms!: RollupLatencyView;
  @ApiProperty({ type: Number, nullable: true, description: 'Tasks not final at the end of the bucket' }) queue_depth!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Within 0..1, against the members at the end of the bucket' })
  agent_utilization!: number | null;
  @ApiProperty({ type: String, format: 'date-time' }) computed_at!: string;
}

export class SwarmMetricsHistoryView {
  @ApiProperty({ format: 'uuid' }) swarm_id!: string;
  @ApiProperty({ enum: ROLLUP_WINDOWS }) window!: RollupWindow;
  @ApiProperty({ type: String, format: 'date-time' }) from!: string;
  @ApiProperty({ type: String, format: 'date-time' }) to!: string;
  @ApiProperty({ type: [SwarmMetricsBucketView], description: 'Oldest first; buckets without activity have no row' })
  items!: SwarmMetricsBucketView[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

// --- GET /swarms/:swarmId/agents/:agentId/stats ----------------------------------------------

export class AgentTaskTypeStatsView {
  @ApiProperty({ example: 'summarise' }) task_type!: string;
  @ApiProperty() completed!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() timed_out!: number;
  @ApiProperty({ example: 0.93, description: 'Recent success rate 0..1, exponentially weighted' }) success_rate!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Recent execution latency (ms), exponentially weighted; null before a success' })
  latency_ms!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'total_execution_ms / completed; null before a success' })
  mean_execution_ms!: number | null;
  @ApiProperty({ type: String, format: 'date-time' }) last_finished_at!: string;
}

export class AgentStatsView {
  @ApiProperty({ format: 'uuid' }) swarm_id!: string;
  @ApiProperty({ format: 'uuid' }) agent_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: AGENT_STATUSES }) status!: AgentStatus;
  @ApiProperty() max_concurrency!: number;
  @ApiProperty({ enum: ['active', 'left'] }) membership_status!: 'active' | 'left';
  @ApiProperty({ description: 'Tasks of this swarm assigned to or running on the agent now' }) in_flight!: number;
  @ApiProperty({ type: [AgentTaskTypeStatsView], description: 'Per task type, across every swarm the agent serves' })
  task_types!: AgentTaskTypeStatsView[];
}
