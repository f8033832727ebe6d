/** The demo page: picks the tfjs backend, loads the MNIST subset, mounts the two tabs. */
import * as tf from '@tensorflow/tfjs';
import { initBackend, setWasmPaths } from '../../src/browser.ts';
import { MnistSubset } from './data.ts';
import { mountSynapsePanel } from './synapse-panel.ts';
import { mountTrainPanel } from './train-panel.ts';

function showTab(name: 'train' | 'synapse'): void {
  for (const t of ['train', 'synapse'] as const) {
    (document.getElementById(`panel-${t}`) as HTMLElement).hidden = t !== name;
    const b = document.getElementById(`tab-${t}`) as HTMLButtonElement;
    b.classList.toggle('active', t === name);
    b.setAttribute('aria-selected', String(t === name));
  }
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
}

/** The WebGL renderer's name when it is a software rasterizer (SwiftShader, llvmpipe), else null. */
function softwareWebGL(): string | null {
  try {
    const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software/i.test(name) ? name : null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const status = document.getElementById('backend') as HTMLElement;
  // The .wasm files are served with the page; an absolute URL also works inside wasm's worker threads.
  setWasmPaths(new URL('wasm/', location.href).href);
  const params = new URLSearchParams(location.search);
  const requested = params.get('backend');
  let choice;
  let note = '';
  if (requested === 'webgl' || requested === 'wasm' || requested === 'cpu') {
    choice = await initBackend(requested);
  } else {
    // webgl → wasm → cpu; but WebGL on a software rasterizer (a machine without a GPU, headless
    // Chromium) is ~10x slower than wasm for TCL (measured: 16 vs 177 images/s), so skip it there.
    const software = softwareWebGL();
    choice = software ? await initBackend('wasm').catch(() => initBackend('auto')) : await initBackend('auto');
    if (software) note = ` (WebGL here is software: ${software.split(/[(,]/)[0].trim()}; ?backend=webgl forces it)`;
  }
  const threads = choice.name === 'wasm' && globalThis.crossOriginIsolated ? ', threads' : '';
  status.textContent = `tfjs ${tf.version.tfjs} · backend ${choice.name}${threads}`;
  status.title = (choice.skipped.length ? `skipped: ${choice.skipped.join('; ')}` : '') + note;
  document.body.dataset.backend = choice.name;

  for (const t of ['train', 'synapse'] as const) document.getElementById(`tab-${t}`)?.addEventListener('click', () => showTab(t));
  showTab(location.hash === '#synapse' ? 'synapse' : 'train');
  mountSynapsePanel(document.getElementById('panel-synapse') as HTMLElement);
  const subset = await MnistSubset.fetch(new URL('data/mnist-subset.bin', location.href).href);
  (document.getElementById('data-note') as HTMLElement).textContent =
    `MNIST ${subset.raw.header.description} (the paper's split: training images 0–${subset.trainAvailable - 1} to train on, images 10,000–${10000 + subset.raw.header.test.n - 1} to test on), served with the page as one uint8 binary file.`;
  mountTrainPanel(document.getElementById('panel-train') as HTMLElement, subset);
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  console.error(e);
  const el = document.getElementById('fatal') as HTMLElement;
  el.hidden = false;
  el.textContent = `The demo could not start: ${e instanceof Error ? e.message : String(e)}`;
});
