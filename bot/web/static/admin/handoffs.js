/* 人工服务 list: new requests show up without a manual refresh (not while someone types an OpenID). */
(function () {
  "use strict";
  var input = document.getElementById("open-openid");
  window.setInterval(function () {
    if (!input || (!input.value && document.activeElement !== input)) window.location.reload();
  }, 10000);
})();
