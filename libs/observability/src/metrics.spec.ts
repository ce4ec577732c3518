import { DISPATCH_STAGES, Metrics, SUBMIT_STAGES, TASK_LATENCY_BUCKETS_SECONDS } from './metrics';

describe('Metrics (task engine)', () => {
  it('registers the task counters and histograms with the swarm_ prefix and no swarm label', async () => {
    const metrics = new Metrics('test');
    metrics.tasksSubmitted.inc(3);
    metrics.tasksFinished.inc({ outcome: 'completed' });
    metrics.taskReportsRejected.inc({ reason: 'superseded' });
    metrics.taskRetries.inc();
    metrics.tasksStolen.inc();
    metrics.taskQueueWait.observe(0.002);
    metrics.taskExecution.observe(1.5);
    metrics.taskEndToEnd.observe(2);
    metrics.taskAssignment.observe(0.01);
    metrics.dispatchCycle.observe(0.003);
    const text = await metrics.registry.metrics();
    expect(text).toContain('swarm_tasks_submitted_total{service="test"} 3');
    expect(text).toContain('swarm_tasks_finished_total{outcome="completed",service="test"} 1');
    // Every outcome exists from the start (at 0), so rate() over it works at once.
    expect(text).toContain('swarm_tasks_finished_total{outcome="timed_out",service="test"} 0');
    expect(text).toContain('swarm_task_reports_rejected_total{reason="superseded",service="test"} 1');
    expect(text).toContain('swarm_task_retries_total{service="test"} 1');
    expect(text).toContain('swarm_tasks_stolen_total{service="test"} 1');
    expect(text).toContain('swarm_task_queue_wait_seconds_bucket{le="0.0025",service="test"} 1');
    expect(text).toContain('swarm_task_execution_seconds_count{service="test"} 1');
    expect(text).toContain('swarm_task_end_to_end_seconds_sum{service="test"} 2');
    expect(text).toContain('swarm_task_assignment_seconds_count{service="test"} 1');
    expect(text).toContain('swarm_dispatch_cycle_seconds_count{service="test"} 1');
    expect(text).not.toMatch(/swarm_id=/);
  });

  it('has the submission and dispatch stage histograms with every stage present from the start', async () => {
    const metrics = new Metrics('test');
    let text = await metrics.registry.metrics();
    for (const stage of SUBMIT_STAGES) expect(text).toContain(`swarm_task_submit_stage_seconds_count{service="test",stage="${stage}"} 0`);
    for (const stage of DISPATCH_STAGES) expect(text).toContain(`swarm_task_dispatch_stage_seconds_count{service="test",stage="${stage}"} 0`);
    metrics.taskDispatchStage.labels({ stage: 'claim' }).observe(0.0008);
    text = await metrics.registry.metrics();
    expect(text).toContain('swarm_task_dispatch_stage_seconds_bucket{le="0.001",service="test",stage="claim"} 1');
    expect(text).toContain('swarm_task_dispatch_stage_seconds_bucket{le="0.0005",service="test",stage="claim"} 0');
  });

  it('uses latency buckets from 1 ms to 60 s', () => {
    expect(TASK_LATENCY_BUCKETS_SECONDS[0]).toBe(0.001);
    expect(TASK_LATENCY_BUCKETS_SECONDS[TASK_LATENCY_BUCKETS_SECONDS.length - 1]).toBe(60);
  });
});
