/**
 * First-layer weights as images: column j of W₁ (784 × n₁) is hidden unit j's receptive field
 * over the 28 × 28 input. Diverging colours (red +, blue −), each tile scaled to its own max |w|.
 */

export interface WeightTilesOptions {
  units: number;
  cols: number;
  /** Screen pixels per input pixel. */
  zoom: number;
  gap: number;
}

export function drawWeightTiles(canvas: HTMLCanvasElement, W: Float32Array, nIn: number, nOut: number, shape: [number, number], o: WeightTilesOptions): void {
  const [rows, cols] = shape;
  const nTiles = Math.min(o.units, nOut);
  const gridRows = Math.ceil(nTiles / o.cols);
  const tw = cols * o.zoom;
  const th = rows * o.zoom;
  canvas.width = o.cols * (tw + o.gap) - o.gap;
  canvas.height = gridRows * (th + o.gap) - o.gap;
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const img = ctx.createImageData(tw, th);
  for (let t = 0; t < nTiles; t++) {
    let max = 1e-12;
    for (let i = 0; i < nIn; i++) max = Math.max(max, Math.abs(W[i * nOut + t]));
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = W[(r * cols + c) * nOut + t] / max;
        // white at 0, red for +1, blue for −1
        const a = Math.min(1, Math.abs(v));
        const [R, G, B] = v >= 0 ? [255, 255 * (1 - a), 255 * (1 - a)] : [255 * (1 - a), 255 * (1 - a) + 60 * a, 255];
        for (let dy = 0; dy < o.zoom; dy++) {
          for (let dx = 0; dx < o.zoom; dx++) {
            const p = ((r * o.zoom + dy) * tw + c * o.zoom + dx) * 4;
            img.data[p] = R;
            img.data[p + 1] = Math.min(255, G);
            img.data[p + 2] = B;
            img.data[p + 3] = 255;
          }
        }
      }
    }
    ctx.putImageData(img, (t % o.cols) * (tw + o.gap), Math.floor(t / o.cols) * (th + o.gap));
  }
}
