/** One request an emulator answered. Bodies are never recorded: they carry credentials. */
export interface RecordedCall {
  readonly routeId: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly fault?: string;
  readonly at: number;
}

export class CallLog {
  readonly #calls: RecordedCall[] = [];

  record(call: RecordedCall): void {
    this.#calls.push(call);
  }

  all(): readonly RecordedCall[] {
    return [...this.#calls];
  }

  /** Calls to one route that the emulator actually handled (not answered by an injected fault). */
  handled(routeId: string): RecordedCall[] {
    return this.#calls.filter((call) => call.routeId === routeId && call.fault === undefined);
  }

  clear(): void {
    this.#calls.length = 0;
  }
}
