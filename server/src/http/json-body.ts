import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { FuncxError } from '@funcx/protocol';
import { textDepthError } from '../errors.js';

/** JSON bodies: empty is no body, nesting is measured before parsing, a parse error says what is wrong. */
export const jsonBody: FastifyPluginAsync = fp(async (app) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    // Routes that need a body say so through their schema.
    if ((body as string).length === 0) {
      done(null, undefined);
      return;
    }
    // A deeply nested body would otherwise reach code that recurses (serialisers).
    const depthError = textDepthError(body as string, 'The body');
    if (depthError) {
      done(depthError, undefined);
      return;
    }
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(new FuncxError('FUNCX_BAD_REQUEST', `The body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });
}, { name: 'funcx-json-body' });
