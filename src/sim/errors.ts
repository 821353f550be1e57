// API errors carry exactly what the real API server puts in a metav1.Status,
// because clients (kubectl, client-node) branch on `reason` and `code`.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details?: StatusDetails;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Record<string, unknown> {
    const status: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** "pods" + "" → "pods"; "deployments" + "apps" → "deployments.apps", as the real server names them. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const notFound = (resource: string, group: string, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, {
    name,
    group: group || undefined,
    kind: resource,
  });

export const alreadyExists = (resource: string, group: string, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists`, {
    name,
    group: group || undefined,
    kind: resource,
  });

export const conflict = (resource: string, group: string, name: string, why: string): ApiError =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`,
    { name, group: group || undefined, kind: resource },
  );

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const methodNotAllowed = (message = 'the server does not allow this method on the requested resource'): ApiError =>
  new ApiError(405, 'MethodNotAllowed', message);

export const forbidden = (message: string, details?: StatusDetails): ApiError =>
  new ApiError(403, 'Forbidden', message, details);

export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized');

/** 422 with one cause per bad field, like apimachinery's field.ErrorList. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const list = causes.map((c) => `${c.field ? c.field + ': ' : ''}${c.message ?? ''}`).join(', ');
  const gk = group ? `${kind}.${group}` : kind;
  return new ApiError(422, 'Invalid', `${gk} "${name}" is invalid: ${causes.length > 1 ? '[' + list + ']' : list}`, {
    name,
    group: group || undefined,
    kind,
    causes,
  });
}

export const expired = (message: string): ApiError => new ApiError(410, 'Expired', message);

export const tooManyRequests = (retryAfterSeconds: number): ApiError =>
  new ApiError(429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later', {
    retryAfterSeconds,
  });
