<#-- alfresco-imap: the plain-text body of a document shown as mail, outside Share sites. -->
${document.name}
<#if document.properties.title?has_content && document.properties.title != document.name>
${document.properties.title}
</#if>
<#if document.properties.description?has_content>

${document.properties.description}
</#if>

  Created    ${document.properties.created?datetime} by ${document.properties.creator}
  Modified   ${document.properties.modified?datetime} by ${document.properties.modifier}
  Size       ${document.size} bytes, ${document.mimetype}
<#if document.properties.versionLabel?has_content>
  Version    ${document.properties.versionLabel}
</#if>
  Folder     ${space.name}

Open in the Content App
  ${contentAppUrl}/#/personal-files/details/${document.id}
Download
  ${contextUrl}/api/-default-/public/alfresco/versions/1/nodes/${document.id}/content?attachment=true
<#if document.webdavUrl?has_content>
WebDAV
  ${contextUrl}${document.webdavUrl}
</#if>
Show the folder
  ${contentAppUrl}/#/personal-files/${space.id}
