// Swagger UI over this API's own OpenAPI document; started from a file (no inline script under the CSP).
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
