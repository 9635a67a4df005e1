// ReDoc over this API's own OpenAPI document; no fonts or logos fetched from elsewhere.
Redoc.init("/openapi.json", { hideDownloadButton: false, disableSearch: false }, document.getElementById("redoc"));
