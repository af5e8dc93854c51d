/** A filter's answer when the request must not go on: the proxy replies itself and the app is never reached. */
export interface Rejection {
  status: number;
  body: string;
  /** Flat [name, value, ...] pairs, as Node's writeHead accepts them. */
  headers?: string[];
}

export function reject(status: number, body: string, headers?: string[]): Rejection {
  return headers ? { status, body, headers } : { status, body };
}
