import { TestStack, waitUntil } from './test-stack';

/** GET /swarm/tasks/{id}/status until the coordination reads `status`; returns that answer. */
export async function coordinationReaching(stack: TestStack, key: string, taskId: string, status = 'completed'): Promise<any> {
  let body: any;
  await waitUntil(async () => {
    const res = await stack.http.get(`/swarm/tasks/${taskId}/status`, { key });
    expect(res.status).toBe(200);
    body = res.body;
    expect(body.status).toBe(status);
  }, 20_000);
  return body;
}
