import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

/** A reference with a scheme (docker://…, oras://, library://) names an image the runtime fetches itself. */
export function hasScheme(image: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//.test(image);
}

/**
 * The file or directory an image reference names in an image directory (config `container_image_dir`):
 * `DIR/REFERENCE`, else `DIR/REFERENCE.sif` when `extensions` allow it; undefined when neither exists. A
 * reference that would lead out of the directory ("..") names nothing.
 */
export function imagePath(dir: string, image: string, extensions: string[] = []): string | undefined {
  const base = resolve(dir);
  for (const candidate of [image, ...extensions.map((extension) => image + extension)]) {
    const path = resolve(base, candidate);
    const inside = relative(base, path);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return undefined;
    if (existsSync(path)) return path;
  }
  return undefined;
}
