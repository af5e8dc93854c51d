/** The newest lines of a process's combined stdout and stderr, bounded so a chatty process cannot fill memory. */
export class OutputLog {
  readonly #maxChars: number;
  #lines: string[] = [];
  #chars = 0;

  constructor(maxChars: number) {
    this.#maxChars = maxChars;
  }

  add(line: string): void {
    this.#lines.push(line);
    this.#chars += line.length + 1;
    while (this.#chars > this.#maxChars && this.#lines.length > 1) {
      this.#chars -= (this.#lines.shift()?.length ?? 0) + 1;
    }
  }

  lines(): readonly string[] {
    return this.#lines;
  }

  text(): string {
    return this.#lines.join("\n");
  }
}

/** Cuts a stream's text into lines; a partial line waits for its end so two streams never mix mid-line. */
export class LineSplitter {
  #partial = "";

  push(text: string): string[] {
    const parts = (this.#partial + text).split(/\r?\n/);
    this.#partial = parts.pop() ?? "";
    return parts;
  }

  flush(): string[] {
    const rest = this.#partial;
    this.#partial = "";
    return rest === "" ? [] : [rest];
  }
}
