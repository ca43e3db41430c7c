/** A small client of the REST API for the chaos scenarios (an admin key as a bearer token). */

export interface ApiResponse {
  status: number;
  body: unknown;
}

export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly key: string,
  ) {}

  /** One request; a network error is thrown (the caller decides whether to retry). */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const isText = typeof body === 'string';
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { 'content-type': isText ? 'application/yaml' : 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: isText ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  }

  async registerWorkflow(yaml: string): Promise<void> {
    const res = await this.request('POST', '/v1/workflows', yaml);
    if (res.status !== 201 && res.status !== 200) throw new Error(`registering a workflow: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** Starts a run; `status` 201 (new) or 200 (the same run again, by idempotency key) acknowledges it. */
  async startRun(workflow: string, input: unknown, idempotencyKey?: string): Promise<{ status: number; id: string | null; body: unknown }> {
    const res = await this.request(
      'POST',
      `/v1/workflows/${workflow}/runs`,
      { input },
      idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey },
    );
    const id = (res.body as { id?: string } | null)?.id ?? null;
    return { status: res.status, id, body: res.body };
  }

  async signal(runId: string, name: string, payload: unknown): Promise<ApiResponse> {
    return await this.request('POST', `/v1/runs/${runId}/signals/${name}`, { payload });
  }
}

export const acknowledged = (status: number): boolean => status === 200 || status === 201;
