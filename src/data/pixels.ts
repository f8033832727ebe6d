/** Pixel scaling shared by the Node loader and the browser page (no file access): bit-identical inputs. */

/** 256-entry table so that the conversion is one lookup per pixel and exactly p / 255. */
const PIXEL_SCALE = Float32Array.from({ length: 256 }, (_, p) => p / 255);

/** `count` pixels of `src` from `offset`, scaled to [0, 1] as float32 p / 255. */
export function scalePixels(src: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = PIXEL_SCALE[src[offset + i]];
  return out;
}
