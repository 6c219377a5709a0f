// HTTP helpers: the API token (kept in localStorage), JSON fetches with
// `Authorization: Bearer`, and URLs for WebSocket/SSE (`?token=`).

const TOKEN_KEY = 'oxios.token';

export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage disabled: the token lasts for this page only */
  }
}

export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Fetches a JSON route; throws HttpError with the server's {"error"} message. */
export async function api(path, { method = 'GET', body, signal, allowError = false } = {}) {
  const headers = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new HttpError(0, 'the server cannot be reached');
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok && !allowError) {
    const message = data && typeof data === 'object' && data.error ? data.error : `HTTP ${res.status}`;
    throw new HttpError(res.status, message);
  }
  return allowError ? { status: res.status, data } : data;
}

/** Adds ?token= (WebSocket and EventSource cannot send headers). */
export function withToken(url) {
  const token = getToken();
  if (!token) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

export function wsUrl(path) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return withToken(`${proto}//${location.host}${path}`);
}
