// A WebSocket that reconnects by itself: backoff from 0.5 s doubling to 10 s,
// reset once a connection opens. Events (EventTarget):
//   "state"   detail {state: "connecting"|"open"|"reconnecting", delay, opened}
//   "message" detail: the parsed JSON frame
//   "lost"    a connection that was open closed (detail {code})

export class ReconnectingSocket extends EventTarget {
  constructor(urlFn, { minDelay = 500, maxDelay = 10000 } = {}) {
    super();
    this.urlFn = urlFn;
    this.minDelay = minDelay;
    this.maxDelay = maxDelay;
    this.delay = minDelay;
    this.ws = null;
    this.timer = 0;
    this.state = 'connecting';
    this.stopped = false;
    this.attempts = 0;
  }

  start() {
    this.stopped = false;
    this.connect();
    window.addEventListener('online', () => this.reconnectNow());
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  send(obj) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  /** Drops the current connection (if any) and connects again at once. */
  reconnectNow() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.delay = this.minDelay;
    if (this.ws) {
      const old = this.ws;
      this.ws = null;
      old.onclose = old.onerror = old.onmessage = old.onopen = null;
      if (old.readyState === WebSocket.OPEN) this.dispatchEvent(new CustomEvent('lost', { detail: { code: 1000 } }));
      try {
        old.close(1000, 'reconnecting');
      } catch {
        /* already closing */
      }
    }
    this.connect();
  }

  setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, ...extra } }));
  }

  connect() {
    this.attempts += 1;
    this.setState(this.attempts === 1 ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new WebSocket(this.urlFn());
    } catch {
      this.schedule(false);
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.delay = this.minDelay;
      this.setState('open');
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.dispatchEvent(new CustomEvent('message', { detail: frame }));
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (opened) this.dispatchEvent(new CustomEvent('lost', { detail: { code: ev.code } }));
      this.schedule(opened);
    };
  }

  schedule(wasOpen) {
    if (this.stopped) return;
    const delay = wasOpen ? this.minDelay : this.delay;
    this.delay = Math.min(this.delay * 2, this.maxDelay);
    this.setState('reconnecting', { delay, opened: wasOpen });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
