/* The web screen's offline copy of itself (only where the browser allows service workers: https, or a Chromium
   started with --unsafely-treat-insecure-origin-as-secure for the service's address). Media and playlists are kept
   by the page in IndexedDB, which works everywhere. Network first: a new version is taken as soon as it is there. */
"use strict";
var CACHE = "screen-shell-v1";
var SHELL = ["/screen/", "/screen/static/screen.js", "/screen/static/screen.css"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== "GET" || SHELL.indexOf(url.pathname) < 0) return;
  event.respondWith(fetch(event.request).then(function (response) {
    var copy = response.clone();
    if (response.ok) caches.open(CACHE).then(function (c) { c.put(event.request, copy); });
    return response;
  }, function () { return caches.match(event.request); }));
});
