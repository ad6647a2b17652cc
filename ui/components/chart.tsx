/**
 * A stacked-free line chart of counts per time bucket (uPlot on a canvas). The canvas is
 * described for screen readers by a figure caption and a table of totals per series, and each
 * series has its own dash pattern and a text legend, so colour is never the only signal.
 */

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

const PALETTE = ["#b3261e", "#d9480f", "#e67700", "#2f9e44", "#1971c2", "#6741d9", "#495057", "#0c8599"];
/** Known series keep their colour from chart to chart (red for failure and the worst priorities). */
const NAMED: Record<string, string> = {
  emergency: "#7a0c0c",
  alert: "#a4161a",
  critical: "#c92a2a",
  error: "#e8590c",
  warning: "#e67700",
  notice: "#1971c2",
  informational: "#0c8599",
  debug: "#495057",
  success: "#2f9e44",
  failure: "#c92a2a",
  ignored: "#868e96",
};
const DASHES: number[][] = [[], [6, 3], [2, 3], [10, 4, 2, 4], [1, 2], [8, 8], [4, 1], [12, 2]];

export interface Series {
  name: string;
  values: number[];
}

export function CountChart({
  title,
  id,
  times,
  series,
}: {
  title: string;
  id: string;
  times: number[];
  series: Series[];
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = () => Math.max(280, el.clientWidth);
    const opts: uPlot.Options = {
      width: width(),
      height: 180,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{}, { label: "count" }],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.name,
          stroke: NAMED[s.name.toLowerCase()] ?? PALETTE[i % PALETTE.length],
          dash: DASHES[i % DASHES.length],
          width: 2,
          points: { show: true, size: 4 },
        })),
      ],
    };
    const plot = new uPlot(opts, [times, ...series.map((s) => s.values)], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series]);
  const totals = series.map((s) => [s.name, s.values.reduce((a, b) => a + b, 0)] as const);
  return (
    <figure class="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <div ref={box} class="chart-canvas" aria-hidden="true" />
      {totals.length === 0 ? (
        <p class="muted">No events in this range.</p>
      ) : (
        <table class="totals">
          <caption class="visually-hidden">{title}: totals over the range</caption>
          <thead>
            <tr>
              <th scope="col">Series</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {totals.map(([name, total]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>{total}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}
