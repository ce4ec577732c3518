import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';

/** Swagger UI at /docs (JSON at /docs/json) with both auth schemes usable in "Try it out". */
export function setupSwagger(app: INestApplication, version: string): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Swarm Coordinator')
      .setDescription(
        'Runs swarms of AI agents. Authenticate with an API key in X-Api-Key, or exchange it at ' +
          'POST /api/v1/auth/token for a short-lived JWT and send Authorization: Bearer <token>.',
      )
      .setVersion(version)
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'API key (sc_...)' }, 'api-key')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'jwt')
      .build(),
  );
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: `${DOCS_PATH}/json`,
    swaggerOptions: { persistAuthorization: true },
  });
}
