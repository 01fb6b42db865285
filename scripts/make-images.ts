// Renders the add-ons' store images from their SVG sources: images/homeiq-<x>-icon.svg → homeiq-<x>/icon.png
// (128×128) and images/homeiq-<x>-logo.svg → homeiq-<x>/logo.png (250×100), with resvg (@resvg/resvg-js).
//
//   npm run images
//
// The SVGs are the sources: edit them (any SVG editor, or by hand), then run this and commit both. Letters are
// strokes, not a font, so the output is the same on every machine. `npm run lint` checks the PNGs' sizes.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';

const root = dirname(import.meta.dirname);
const ADDONS = ['ingestor', 'influxdb', 'admin'];
const IMAGES = [
  { name: 'icon', width: 128, height: 128 },
  { name: 'logo', width: 250, height: 100 },
];

for (const addon of ADDONS) {
  for (const image of IMAGES) {
    const source = `images/homeiq-${addon}-${image.name}.svg`;
    const svg = readFileSync(join(root, source), 'utf8');
    const rendered = new Resvg(svg, { font: { loadSystemFonts: false } }).render();
    if (rendered.width !== image.width || rendered.height !== image.height) {
      throw new Error(`${source} is ${rendered.width}×${rendered.height}, expected ${image.width}×${image.height}`);
    }
    const target = `homeiq-${addon}/${image.name}.png`;
    writeFileSync(join(root, target), rendered.asPng());
    console.log(`rendered ${source} → ${target}`);
  }
}
