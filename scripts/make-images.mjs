#!/usr/bin/env node
// Draws the store images of the three add-ons: homeiq-<x>/icon.png (128×128) and homeiq-<x>/logo.png (250×100).
//
//   node scripts/make-images.mjs            # writes all six files
//
// No dependencies: shapes are signed-distance functions, rasterised with one pixel of anti-aliasing, and the
// PNG encoder below uses node:zlib for the deflate stream. The output depends only on this file (and zlib),
// so running it twice gives the same bytes.
//
// The mark: a house outline (Home Assistant) on a rounded square in the add-on's colour, with what the add-on
// adds to the home inside: a rising chart line (ingestor), a database cylinder (influxdb), a gauge (admin).
// The logo puts the mark next to a "HomeIQ" wordmark and the add-on's name, drawn from strokes and arcs.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// ------------------------------------------------------------------------------------------------ colours

/** '#rrggbb' → [r, g, b] in 0..1. */
function hex(s) {
  const n = Number.parseInt(s.slice(1), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

const WHITE = hex('#ffffff');
const SLATE = hex('#64748b'); // readable on the store's light and dark themes

const ADDONS = [
  {
    name: 'ingestor',
    label: 'INGESTOR',
    light: hex('#38bdf8'),
    dark: hex('#0369a1'),
    text: hex('#0284c7'),
    motif: chartMotif,
  },
  {
    name: 'influxdb',
    label: 'INFLUXDB',
    light: hex('#a78bfa'),
    dark: hex('#5b21b6'),
    text: hex('#7c3aed'),
    motif: databaseMotif,
  },
  {
    name: 'admin',
    label: 'ADMIN',
    light: hex('#2dd4bf'),
    dark: hex('#0f766e'),
    text: hex('#0d9488'),
    motif: gaugeMotif,
  },
];

// ------------------------------------------------------------------------------------------------ canvas

/** A straight-alpha RGBA float canvas that shapes are composited onto with "source over". */
class Canvas {
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.px = new Float64Array(width * height * 4);
  }

  /**
   * Paints a shape. `sdf(x, y)` is the signed distance in pixels from the shape's edge (negative inside);
   * `color(x, y)` gives [r, g, b]. Coverage is the pixel-centre distance clamped to one pixel: cheap, smooth
   * anti-aliasing that is exact for straight edges and good for curves of the sizes drawn here.
   */
  paint(sdf, color, opacity = 1) {
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        const cx = x + 0.5;
        const cy = y + 0.5;
        const coverage = Math.min(1, Math.max(0, 0.5 - sdf(cx, cy)));
        if (coverage <= 0) continue;
        const a = coverage * opacity;
        const [r, g, b] = color(cx, cy);
        const i = (y * this.width + x) * 4;
        const da = this.px[i + 3];
        const oa = a + da * (1 - a);
        this.px[i] = (r * a + this.px[i] * da * (1 - a)) / oa;
        this.px[i + 1] = (g * a + this.px[i + 1] * da * (1 - a)) / oa;
        this.px[i + 2] = (b * a + this.px[i + 2] * da * (1 - a)) / oa;
        this.px[i + 3] = oa;
      }
    }
  }

  /** 8-bit RGBA rows, ready for the PNG encoder. */
  bytes() {
    const out = Buffer.alloc(this.width * this.height * 4);
    for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, this.px[i])) * 255);
    // Fully transparent pixels carry no colour: zero them so the file does not depend on rounding noise.
    for (let i = 0; i < out.length; i += 4) if (out[i + 3] === 0) out.fill(0, i, i + 3);
    return out;
  }
}

// ------------------------------------------------------------------------------------------------ shapes

/** Distance from (px, py) to the segment a–b. */
function segmentDistance(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / len2));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/** A stroked polyline with round caps and joins; `points` is [[x, y], ...] in pixels. */
function stroke(points, width) {
  const half = width / 2;
  return (x, y) => {
    let d = Infinity;
    if (points.length === 1) d = Math.hypot(x - points[0][0], y - points[0][1]);
    for (let i = 1; i < points.length; i++) {
      const [ax, ay] = points[i - 1];
      const [bx, by] = points[i];
      d = Math.min(d, segmentDistance(x, y, ax, ay, bx, by));
    }
    return d - half;
  };
}

/** Several strokes of one width as one shape (so overlaps are not painted twice). */
function strokes(paths, width) {
  const parts = paths.map((p) => stroke(p, width));
  return (x, y) => Math.min(...parts.map((f) => f(x, y)));
}

function circle(cx, cy, r) {
  return (x, y) => Math.hypot(x - cx, y - cy) - r;
}

function roundedRect(x0, y0, x1, y1, r) {
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const hw = (x1 - x0) / 2 - r;
  const hh = (y1 - y0) / 2 - r;
  return (x, y) => {
    const qx = Math.abs(x - cx) - hw;
    const qy = Math.abs(y - cy) - hh;
    return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
  };
}

/**
 * Points along an elliptical arc, angles in degrees measured counter-clockwise with y pointing up
 * (the glyph convention below); from a0 to a1 in whichever direction their order gives.
 */
function arc(cx, cy, rx, ry, a0, a1) {
  const steps = Math.max(2, Math.ceil(Math.abs(a1 - a0) / 4));
  const pts = [];
  for (let i = 0; i <= steps; i++) {
    const a = ((a0 + ((a1 - a0) * i) / steps) * Math.PI) / 180;
    pts.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  }
  return pts;
}

/** A colour that fades from `from` (top left) to `to` (bottom right) across the box. */
function diagonalGradient(x0, y0, x1, y1, from, to) {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  return (x, y) => {
    const t = Math.min(1, Math.max(0, ((x - x0) * dx + (y - y0) * dy) / len2));
    return [0, 1, 2].map((k) => from[k] + (to[k] - from[k]) * t);
  };
}

const solid = (c) => () => c;

// ------------------------------------------------------------------------------------------------ the mark

// Drawn in a 128-unit square; `s` scales and (ox, oy) moves it, so the logo reuses it at a smaller size.

function chartMotif(t) {
  const line = [t(42, 90), t(54, 76), t(65, 84), t(80, 66)];
  return [
    { shape: stroke(line, t.w(6.5)), color: WHITE },
    { shape: circle(...t(80, 66), t.w(6)), color: WHITE },
  ];
}

function databaseMotif(t) {
  const rx = 16;
  const ry = 5.5;
  const top = 64;
  const bottom = 90;
  const paths = [
    arc(64, top, rx, ry, 0, 360), // lid
    arc(64, (top + bottom) / 2, rx, ry, 0, 180), // middle band (front half)
    arc(64, bottom, rx, ry, 0, 180), // base (front half)
    [
      [64 - rx, top],
      [64 - rx, bottom],
    ],
    [
      [64 + rx, top],
      [64 + rx, bottom],
    ],
  ].map((p) => p.map(([x, y]) => t(x, y)));
  // arc() adds ry·sin(a) to y; y points down in this square, so 0..180 is the lower, front half of an ellipse.
  return [{ shape: strokes(paths, t.w(5)), color: WHITE }];
}

function gaugeMotif(t) {
  const cx = 64;
  const cy = 88;
  const r = 20;
  const dial = arc(cx, cy, r, r, 180, 360).map(([x, y]) => t(x, y));
  const angle = (-58 * Math.PI) / 180; // needle towards the upper right
  const needle = [t(cx, cy), t(cx + 15 * Math.cos(angle), cy + 15 * Math.sin(angle))];
  return [
    { shape: stroke(dial, t.w(5.5)), color: WHITE },
    { shape: stroke(needle, t.w(5)), color: WHITE },
    { shape: circle(...t(cx, cy), t.w(5)), color: WHITE },
  ];
}

/** The add-on's mark at scale `s`, top-left corner at (ox, oy). */
function drawMark(canvas, addon, s = 1, ox = 0, oy = 0) {
  const t = (x, y) => [ox + x * s, oy + y * s];
  t.w = (w) => w * s;
  const [x0, y0] = t(4, 4);
  const [x1, y1] = t(124, 124);
  canvas.paint(roundedRect(x0, y0, x1, y1, t.w(28)), diagonalGradient(x0, y0, x1, y1, addon.light, addon.dark));
  const roof = [t(23, 63), t(64, 26), t(105, 63)];
  const walls = [t(34, 54), t(34, 103), t(94, 103), t(94, 54)];
  canvas.paint(strokes([roof, walls], t.w(8.5)), solid(WHITE));
  for (const { shape, color } of addon.motif(t)) canvas.paint(shape, solid(color));
}

// ------------------------------------------------------------------------------------------------ lettering

// Glyphs as strokes in a unit box: baseline y = 0, cap height y = 1, y up; `w` is the advance width.
const X = 0.72; // x-height of the lower-case letters

const GLYPHS = {
  H: {
    w: 0.62,
    paths: [
      [
        [0, 0],
        [0, 1],
      ],
      [
        [0.62, 0],
        [0.62, 1],
      ],
      [
        [0, 0.5],
        [0.62, 0.5],
      ],
    ],
  },
  o: { w: 0.7, paths: [arc(0.35, X / 2, 0.35, X / 2, 0, 360)] },
  m: {
    w: 0.92,
    paths: [
      [
        [0, 0],
        [0, X],
      ],
      [...arc(0.23, X - 0.23, 0.23, 0.23, 180, 0), [0.46, 0]],
      [...arc(0.69, X - 0.23, 0.23, 0.23, 180, 0), [0.92, 0]],
    ],
  },
  e: { w: 0.7, paths: [[[0, X / 2], [0.7, X / 2], ...arc(0.35, X / 2, 0.35, X / 2, 0, 315)]] },
  I: {
    w: 0,
    paths: [
      [
        [0, 0],
        [0, 1],
      ],
    ],
  },
  Q: {
    w: 0.96,
    paths: [
      arc(0.48, 0.5, 0.48, 0.5, 0, 360),
      [
        [0.6, 0.26],
        [0.98, -0.06],
      ],
    ],
  },
  A: {
    w: 0.7,
    paths: [
      [
        [0, 0],
        [0.35, 1],
        [0.7, 0],
      ],
      [
        [0.13, 0.36],
        [0.57, 0.36],
      ],
    ],
  },
  B: {
    w: 0.6,
    paths: [
      [[0, 0.5], [0, 1], [0.3, 1], ...arc(0.3, 0.75, 0.25, 0.25, 90, -90), [0, 0.5]],
      [[0, 0.5], [0.33, 0.5], ...arc(0.33, 0.25, 0.26, 0.25, 90, -90), [0, 0], [0, 0.5]],
    ],
  },
  D: { w: 0.68, paths: [[[0.18, 0], [0, 0], [0, 1], [0.18, 1], ...arc(0.18, 0.5, 0.5, 0.5, 90, -90)]] },
  E: {
    w: 0.56,
    paths: [
      [
        [0.56, 1],
        [0, 1],
        [0, 0],
        [0.56, 0],
      ],
      [
        [0, 0.5],
        [0.46, 0.5],
      ],
    ],
  },
  F: {
    w: 0.54,
    paths: [
      [
        [0.54, 1],
        [0, 1],
        [0, 0],
      ],
      [
        [0, 0.5],
        [0.44, 0.5],
      ],
    ],
  },
  G: { w: 0.8, paths: [[...arc(0.4, 0.5, 0.4, 0.5, 42, 360), [0.46, 0.5]]] },
  L: {
    w: 0.52,
    paths: [
      [
        [0, 1],
        [0, 0],
        [0.52, 0],
      ],
    ],
  },
  M: {
    w: 0.8,
    paths: [
      [
        [0, 0],
        [0, 1],
        [0.4, 0.38],
        [0.8, 1],
        [0.8, 0],
      ],
    ],
  },
  N: {
    w: 0.66,
    paths: [
      [
        [0, 0],
        [0, 1],
        [0.66, 0],
        [0.66, 1],
      ],
    ],
  },
  O: { w: 0.9, paths: [arc(0.45, 0.5, 0.45, 0.5, 0, 360)] },
  R: {
    w: 0.6,
    paths: [
      [[0, 0], [0, 1], [0.3, 1], ...arc(0.3, 0.74, 0.26, 0.26, 90, -90), [0, 0.48]],
      [
        [0.3, 0.48],
        [0.6, 0],
      ],
    ],
  },
  S: { w: 0.58, paths: [[...arc(0.29, 0.75, 0.27, 0.25, 28, 270), ...arc(0.29, 0.25, 0.29, 0.25, 90, -152)]] },
  T: {
    w: 0.62,
    paths: [
      [
        [0, 1],
        [0.62, 1],
      ],
      [
        [0.31, 1],
        [0.31, 0],
      ],
    ],
  },
  U: { w: 0.64, paths: [[[0, 1], ...arc(0.32, 0.32, 0.32, 0.32, 180, 360), [0.64, 1]]] },
  X: {
    w: 0.64,
    paths: [
      [
        [0, 0],
        [0.64, 1],
      ],
      [
        [0, 1],
        [0.64, 0],
      ],
    ],
  },
};

/** Width in pixels of `text` set with cap height `cap`, stroke `weight` and extra `tracking` between letters. */
function textWidth(text, cap, weight, tracking) {
  let w = 0;
  for (const ch of text) w += GLYPHS[ch].w * cap + weight + tracking;
  return w - tracking;
}

/** Strokes `text` with its baseline at y and its left edge (including the stroke) at x. */
function drawText(canvas, text, x, baseline, cap, weight, tracking, color) {
  const paths = [];
  let cursor = x + weight / 2;
  for (const ch of text) {
    const glyph = GLYPHS[ch];
    if (!glyph) throw new Error(`make-images: no glyph for '${ch}'`);
    for (const p of glyph.paths) paths.push(p.map(([gx, gy]) => [cursor + gx * cap, baseline - gy * cap]));
    cursor += glyph.w * cap + weight + tracking;
  }
  canvas.paint(strokes(paths, weight), solid(color));
}

// ------------------------------------------------------------------------------------------------ PNG

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGBA, non-interlaced PNG. Each row uses the Paeth filter, which suits smooth gradients. */
function encodePng(width, height, rgba) {
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 4; // Paeth
    for (let i = 0; i < stride; i++) {
      const cur = rgba[y * stride + i];
      const a = i >= 4 ? rgba[y * stride + i - 4] : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= 4 ? rgba[(y - 1) * stride + i - 4] : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      raw[y * (stride + 1) + 1 + i] = (cur - pred) & 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ------------------------------------------------------------------------------------------------ images

function icon(addon) {
  const canvas = new Canvas(128, 128);
  drawMark(canvas, addon);
  return canvas;
}

function logo(addon) {
  const canvas = new Canvas(250, 100);
  const size = 80;
  drawMark(canvas, addon, size / 128, 3, (100 - size) / 2);
  const left = 93;
  const cap = 27;
  const weight = 4.9;
  const tracking = 2.8;
  const baseline = 54;
  drawText(canvas, 'Home', left, baseline, cap, weight, tracking, SLATE);
  const iqLeft = left + textWidth('Home', cap, weight, tracking) + tracking;
  drawText(canvas, 'IQ', iqLeft, baseline, cap, weight, tracking, addon.text);
  const wordmark = iqLeft + textWidth('IQ', cap, weight, tracking) - left;
  // The add-on's name in small capitals under the wordmark, spread to the wordmark's width when it fits.
  const subCap = 11;
  const subWeight = 2.4;
  const natural = textWidth(addon.label, subCap, subWeight, 0);
  const subTracking = Math.min(6, Math.max(2, (wordmark - natural) / (addon.label.length - 1)));
  drawText(canvas, addon.label, left + 1, baseline + 22, subCap, subWeight, subTracking, addon.text);
  return canvas;
}

for (const addon of ADDONS) {
  for (const [file, canvas] of [
    ['icon.png', icon(addon)],
    ['logo.png', logo(addon)],
  ]) {
    const path = join(root, `homeiq-${addon.name}`, file);
    writeFileSync(path, encodePng(canvas.width, canvas.height, canvas.bytes()));
    console.log(`wrote homeiq-${addon.name}/${file} (${canvas.width}×${canvas.height})`);
  }
}
