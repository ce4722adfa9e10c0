<#-- alfresco-imap: the HTML body of a document shown as mail, inside a Share site. -->
<#assign open = shareContextUrl + "/page/site/" + siteShortName + "/document-details?nodeRef=" + document.nodeRef>
<#assign download = shareContextUrl + "/proxy/alfresco-api/-default-/public/alfresco/versions/1/nodes/" + document.id + "/content?attachment=true">
<#assign folder = shareContextUrl + "/page/site/" + siteShortName + "/folder-details?nodeRef=" + space.nodeRef>
<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>${document.name?html}</title>
</head>
<body style="font-family: sans-serif; font-size: 14px; color: #222;">
<h2 style="margin: 0 0 4px 0; font-size: 18px;"><a href="${open?html}" style="color: #0b5cad; text-decoration: none;">${document.name?html}</a></h2>
<#if document.properties.title?has_content && document.properties.title != document.name>
<p style="margin: 0 0 8px 0; font-size: 16px;">${document.properties.title?html}</p>
</#if>
<#if document.properties.description?has_content>
<p style="margin: 0 0 12px 0; color: #444;">${document.properties.description?html}</p>
</#if>
<table style="border-collapse: collapse; margin: 8px 0 16px 0;">
<tr><td style="padding: 2px 16px 2px 0; color: #666;">Site</td><td>${siteShortName?html}</td></tr>
<tr><td style="padding: 2px 16px 2px 0; color: #666;">Created</td><td>${document.properties.created?datetime} by ${document.properties.creator?html}</td></tr>
<tr><td style="padding: 2px 16px 2px 0; color: #666;">Modified</td><td>${document.properties.modified?datetime} by ${document.properties.modifier?html}</td></tr>
<tr><td style="padding: 2px 16px 2px 0; color: #666;">Size</td><td>${document.size} bytes, ${document.mimetype?html}</td></tr>
<#if document.properties.versionLabel?has_content>
<tr><td style="padding: 2px 16px 2px 0; color: #666;">Version</td><td>${document.properties.versionLabel?html}</td></tr>
</#if>
<tr><td style="padding: 2px 16px 2px 0; color: #666;">Folder</td><td><a href="${folder?html}">${space.name?html}</a></td></tr>
</table>
<p style="margin: 0;">
<a href="${open?html}">Open in Share</a>
&nbsp;|&nbsp; <a href="${download?html}">Download</a>
<#if document.webdavUrl?has_content>
&nbsp;|&nbsp; <a href="${(contextUrl + document.webdavUrl)?html}">WebDAV</a>
</#if>
&nbsp;|&nbsp; <a href="${folder?html}">Show the folder</a>
</p>
</body>
</html>
