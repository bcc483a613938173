// The only script of the gateway's pages: progressive enhancement for the copy
// and print buttons. Everything works without it; it reveals the controls that
// need it. It reads its labels from data attributes, so no value is ever
// interpolated into script text.
export const ENHANCE_SCRIPT = `(function(){
var canCopy=!!(navigator.clipboard&&window.isSecureContext);
document.querySelectorAll('[data-copy],[data-print]').forEach(function(el){
if(el.hasAttribute('data-print')||canCopy)el.hidden=false;});
document.addEventListener('click',function(ev){
var el=ev.target&&ev.target.closest?ev.target.closest('[data-copy],[data-print]'):null;
if(!el)return;
if(el.hasAttribute('data-print')){window.print();return;}
navigator.clipboard.writeText(el.getAttribute('data-copy')).then(function(){
el.textContent=el.getAttribute('data-done');});});
})();`;
