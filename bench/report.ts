/** The comparison table (markdown) and chart (hand-written SVG) from one run's figures. */

export interface Figure {
  label: string;
  unit: string;
  better: "higher" | "lower";
  /** A figure only our side has (no Talon counterpart even when Talon runs). */
  oursOnly?: boolean;
  ours: number | null;
  talon: number | null;
  /** The spread behind a figure that is a median of repeated measurements: min–max. */
  oursRange?: Range;
  talonRange?: Range;
  /** Why a column is empty, or a caveat (e.g. events not deleted before the timeout). */
  oursNote?: string;
  talonNote?: string;
}

export interface Range {
  min: number;
  max: number;
}

/** Ours vs Talon, >1 when ours is better; null when either side is missing or not positive. */
export function ratio(f: Figure): number | null {
  if (f.ours === null || f.talon === null || f.ours <= 0 || f.talon <= 0) return null;
  return f.better === "higher" ? f.ours / f.talon : f.talon / f.ours;
}

function formatRatio(r: number | null): string {
  if (r === null) return "n/a";
  if (r < 1) return `${r.toFixed(2)}×`;
  if (r < 10) return `${r.toFixed(1)}×`;
  return `${Math.round(r).toLocaleString("en-US")}×`;
}

function formatValue(v: number): string {
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString("en-US");
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

const formatRange = (r: Range | undefined, word = "") =>
  r ? ` (${word}${formatValue(r.min)} to ${formatValue(r.max)})` : "";

/** The table, with each distinct note once as a numbered footnote under it. */
export function markdownTable(figures: Figure[]): string {
  const notes: string[] = [];
  const cell = (v: number | null, unit: string, range: Range | undefined, note?: string) => {
    let text = v === null ? "n/a" : `${formatValue(v)} ${unit}${formatRange(range, "range ")}`;
    if (note) {
      if (!notes.includes(note)) notes.push(note);
      text += ` [${notes.indexOf(note) + 1}]`;
    }
    return text;
  };
  const rows = figures.map(
    (f) =>
      `| ${f.label} | ${cell(f.ours, f.unit, f.oursRange, f.oursNote)} | ${cell(f.talon, f.unit, f.talonRange, f.talonNote)} | ${formatRatio(ratio(f))} |`,
  );
  return [
    "| figure | ours | Talon | ours vs Talon (>1× = ours better) |",
    "|---|---|---|---|",
    ...rows,
    ...(notes.length > 0 ? ["", ...notes.map((n, i) => `[${i + 1}] ${n}`)] : []),
  ].join("\n");
}

const escapeXml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/**
 * One panel per figure, each on its own linear scale; Talon's bar reads "n/a" when absent. A
 * figure with a range gets a whisker from its min to its max over the bar.
 */
export function svgChart(title: string, subtitle: string, figures: Figure[]): string {
  const width = 860;
  const labelWidth = 360;
  const barMax = width - labelWidth - 170;
  const panel = 54;
  const top = 70;
  const height = top + figures.length * panel + 40;
  const colors = { ours: "#2f6db5", talon: "#e08a1e" };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(`${title}: ${subtitle}`)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="16" y="46" fill="#555">${escapeXml(subtitle)}</text>`,
    `<rect x="${width - 220}" y="14" width="12" height="12" fill="${colors.ours}"/>`,
    `<text x="${width - 202}" y="24">ours (TypeScript)</text>`,
    `<rect x="${width - 220}" y="32" width="12" height="12" fill="${colors.talon}"/>`,
    `<text x="${width - 202}" y="42">Falco Talon (Go)</text>`,
  ];
  figures.forEach((f, i) => {
    const y = top + i * panel;
    const max = Math.max(f.ours ?? 0, f.talon ?? 0, f.oursRange?.max ?? 0, f.talonRange?.max ?? 0) || 1;
    const r = ratio(f);
    parts.push(
      `<text x="16" y="${y + 16}" font-weight="bold">${escapeXml(f.label)}</text>`,
      `<text x="16" y="${y + 32}" fill="#555">${escapeXml(`${f.unit}, ${f.better} is better${r === null ? "" : `; ours vs Talon ${formatRatio(r)}`}`)}</text>`,
    );
    (["ours", "talon"] as const).forEach((who, j) => {
      const v = f[who];
      const by = y + 4 + j * 20;
      if (v === null) {
        parts.push(
          `<text x="${labelWidth + 4}" y="${by + 13}" fill="#888">n/a${who === "talon" ? (f.oursOnly ? " (ours only)" : " (Talon not available in this run)") : ""}</text>`,
        );
        return;
      }
      const x = (value: number) => labelWidth + Math.max(1, (Math.max(0, value) / max) * barMax);
      const range = who === "ours" ? f.oursRange : f.talonRange;
      parts.push(
        `<rect x="${labelWidth}" y="${by}" width="${(x(v) - labelWidth).toFixed(1)}" height="16" fill="${colors[who]}"/>`,
      );
      if (range) {
        const [x1, x2, mid] = [x(range.min).toFixed(1), x(range.max).toFixed(1), by + 8];
        parts.push(
          `<path d="M${x1} ${mid}H${x2}M${x1} ${mid - 5}V${mid + 5}M${x2} ${mid - 5}V${mid + 5}" stroke="#222" stroke-width="1.5" fill="none"/>`,
        );
      }
      const textX = Math.max(x(v), range ? x(range.max) : 0) + 6;
      parts.push(
        `<text x="${textX.toFixed(1)}" y="${by + 13}">${escapeXml(formatValue(v) + formatRange(range))}</text>`,
      );
    });
    parts.push(
      `<line x1="16" y1="${y + panel - 4}" x2="${width - 16}" y2="${y + panel - 4}" stroke="#e5e5e5"/>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
