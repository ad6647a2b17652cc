// Reads a multi-line EventList document item by item, so a large one is not held whole: once
// `"kind": "EventList"` has been read, each object of its `items` array is handed over as soon as
// it is complete. Anything else (kind after items, no items, not an object) is gathered whole and
// handed over at the end, as one document.

export interface EventListSink {
  /** the JSON text of one item of `items`; `null` for an item that is not an object (the list is malformed) */
  item(text: string): void;
  /** the whole document, when it could not be read item by item */
  document(text: string): void;
  /** the input ended inside `items` */
  unfinished(): void;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_OBJ = 123;
const OPEN_ARR = 91;
const CLOSE_OBJ = 125;
const CLOSE_ARR = 93;
const isBlank = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

export class EventListScanner {
  private mode: "prefix" | "items" | "after" | "whole" = "prefix";
  /** prefix and whole: all text so far; items: the current item's text so far */
  private kept = "";
  private depth = 0;
  private inString = false;
  private escaped = false;
  private stringStart = -1;
  /** depth 1: the last string read, the key whose value comes next, the `kind` value */
  private lastString = "";
  private key = "";
  private expectingValue = false;
  private kind: string | undefined;
  private inItem = false;

  constructor(private readonly sink: EventListSink) {}

  push(text: string): void {
    if (this.mode === "whole") this.kept += text;
    else if (this.mode === "prefix") this.scanPrefix(text);
    else if (this.mode === "items") this.scanItems(text);
  }

  end(): void {
    if (this.mode === "whole" || this.mode === "prefix") this.sink.document(this.kept);
    else if (this.mode === "items") this.sink.unfinished();
    this.kept = "";
  }

  private scanPrefix(text: string): void {
    const base = this.kept.length;
    this.kept += text;
    const s = this.kept;
    for (let i = base; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.depth === 1) {
            this.lastString = s.slice(this.stringStart + 1, i);
            if (this.expectingValue && this.key === "kind") this.kind = this.lastString;
          }
        }
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        this.stringStart = i;
      } else if (c === OPEN_OBJ || c === OPEN_ARR) {
        if (this.depth === 0 && c !== OPEN_OBJ) {
          this.mode = "whole";
          return;
        }
        if (this.depth === 1 && c === OPEN_ARR && this.expectingValue && this.key === "items") {
          if (this.kind !== "EventList") {
            this.mode = "whole";
            return;
          }
          this.mode = "items";
          this.kept = "";
          this.depth = 2;
          this.scanItems(s.slice(i + 1));
          return;
        }
        this.depth++;
      } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        this.depth--;
      } else if (this.depth === 1 && c === COLON) {
        this.key = this.lastString;
        this.expectingValue = true;
      } else if (this.depth === 1 && c === COMMA) {
        this.expectingValue = false;
      }
    }
  }

  private scanItems(text: string): void {
    const base = this.kept.length;
    this.kept += text;
    const s = this.kept;
    let itemStart = this.inItem ? 0 : -1;
    for (let i = base; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (this.depth === 2) {
        if (c === OPEN_OBJ) {
          itemStart = i;
          this.depth++;
        } else if (c === CLOSE_ARR) {
          // the end of `items`: the rest of the document is not needed
          this.mode = "after";
          this.kept = "";
          this.inItem = false;
          return;
        } else if (!isBlank(c) && c !== COMMA) {
          this.sink.item("null");
          this.mode = "after";
          this.kept = "";
          this.inItem = false;
          return;
        }
        continue;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_OBJ || c === OPEN_ARR) this.depth++;
      else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        this.depth--;
        if (this.depth === 2) {
          this.sink.item(s.slice(itemStart, i + 1));
          itemStart = -1;
        }
      }
    }
    this.inItem = itemStart >= 0;
    this.kept = this.inItem ? s.slice(itemStart) : "";
  }
}
